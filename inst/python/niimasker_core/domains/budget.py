"""What a file's header claims its data need, checked against memory and disk budgets.

A ``.nii.gz`` of a few bytes can claim 2000^3 voxels: nibabel reads such a
header happily and the first read then asks for gigabytes. Here only the
header is read (the first 540 bytes, inflated), and the size it claims is
compared with a budget before anything else is: :func:`check_memory` for
what must be held in memory (one volume of a streamed run, the whole of an
atlas or mask), :func:`check_disk` for what will be written. An uncompressed
file shorter than its header says is refused here too
(:func:`check_file_size`); a compressed one can only tell while it is read
(the stream and the whole-image readers say so).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.openers import ImageOpener

from ..errors import BudgetError, InputFileError
from .surface.gifti_io import read_gifti_claim

__all__ = [
    "Claim",
    "check_disk",
    "check_file_size",
    "check_memory",
    "default_memory_budget",
    "format_bytes",
    "machine_memory",
    "read_claim",
]

_HEADER_BYTES = 540  # a NIfTI-2 header; a NIfTI-1 header is its first 348


@dataclass(frozen=True)
class Claim:
    """The data a NIfTI (or CIFTI) header says its file holds."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int
    #: Read a volume at a time (NIfTI, CIFTI); a GIFTI file is read whole.
    streamed: bool = True

    @property
    def data_bytes(self) -> int:
        """Bytes of the whole data array, as stored."""
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize

    @property
    def n_volumes(self) -> int:
        """Volumes (time points): ``dim[5]`` of a CIFTI matrix, else the dims past 3."""
        if len(self.shape) >= 6 and all(n == 1 for n in self.shape[:4]):
            return max(1, self.shape[4])  # CIFTI: (1, 1, 1, 1, time, samples)
        return max(1, int(np.prod(self.shape[3:], dtype=object)))

    @property
    def volume_bytes(self) -> int:
        """Bytes of one volume as stored: what a streamed read holds at least."""
        return self.data_bytes // self.n_volumes


def read_claim(path: str | Path) -> Claim | None:
    """Read what a NIfTI-1/2 header (``.nii``, ``.nii.gz``, CIFTI) or GIFTI XML claims.

    Parameters
    ----------
    path : str or Path
        Any file.

    Returns
    -------
    Claim or None
        None when the file is not a NIfTI-1/2 or GIFTI file (or cannot be
        opened): the readers report that themselves. A GIFTI file's XML is
        parsed for its ``Dim`` attributes; no payload is decoded.
    """
    path = str(path)
    if path.lower().endswith(".gii") and Path(path).is_file():
        try:
            shape, dtype = read_gifti_claim(path)
        except Exception:  # not GIFTI: the readers say why
            return None
        return Claim(path, shape, np.dtype(dtype), 0, streamed=False)
    if not path.lower().endswith((".nii", ".nii.gz")) or not Path(path).is_file():
        return None
    try:
        with ImageOpener(path, "rb") as handle:
            raw = handle.read(_HEADER_BYTES)
        header = _header(raw)
        shape = tuple(int(n) for n in header.get_data_shape())
        dtype = header.get_data_dtype()
        offset = int(header.get_data_offset())
    except Exception:  # not a NIfTI header: the image readers say why
        return None
    if any(n < 0 for n in shape):
        return None  # a broken header: check_geometry words it
    return Claim(path, shape, np.dtype(dtype), offset)


def _header(raw: bytes) -> nib.Nifti1Header:
    for order in ("<", ">"):
        size = int(np.frombuffer(raw[:4], dtype=f"{order}i4")[0])
        if size == 348:
            return nib.Nifti1Header(raw[:348], check=False)
        if size == 540 and len(raw) >= 540:
            return nib.Nifti2Header(raw[:540], check=False)
    raise ValueError("not a NIfTI header")


def check_file_size(claim: Claim, role: str) -> None:
    """Refuse an uncompressed file shorter than the data its header claims.

    Parameters
    ----------
    claim : Claim
        From :func:`read_claim`.
    role : str
        What the file is for, in messages (``'input_files'``, ``'roi_file'``).

    Raises
    ------
    InputFileError
        If the file ends before its header's data do.
    """
    if claim.path.lower().endswith(".gz") or not claim.streamed:
        return  # known only while inflating (or decoding): the readers check it
    size = os.stat(claim.path).st_size
    wanted = claim.offset + claim.data_bytes
    if size < wanted:
        raise InputFileError(
            "{parameter} {file} is {size} bytes, but its header claims {shape} "
            "values that end at byte {wanted}: the file is truncated or its header "
            "is wrong.",
            parameter=role,
            file=claim.path,
            size=size,
            shape=claim.shape,
            wanted=wanted,
            fix="Re-copy or regenerate the file.",
        )


def check_memory(claim: Claim, need: int, budget: int, role: str, what: str) -> None:
    """Refuse a file whose header claims more memory than ``budget``.

    Parameters
    ----------
    claim : Claim
        From :func:`read_claim`.
    need : int
        Bytes that must be held at once to read it.
    budget : int
        The memory budget in bytes (``max_memory``).
    role : str
        The parameter naming the file (``'input_files'``, ``'mask_img'``).
    what : str
        What ``need`` is, e.g. ``'one volume'`` or ``'the whole image'``.

    Raises
    ------
    BudgetError
        If ``need`` exceeds ``budget``.
    """
    if need <= budget:
        return
    raise BudgetError(
        "{file} ({role:text}) claims {shape} {dtype:text} values in its header: "
        "{what:text} needs {need:text} in memory, over the budget of "
        "{budget:text} ({parameter}).",
        parameter="max_memory",
        role=role,
        file=claim.path,
        shape=claim.shape,
        dtype=str(claim.dtype.newbyteorder("=")),
        what=what,
        need=format_bytes(need),
        budget=format_bytes(budget),
        fix={
            "python": "If the header is right, raise max_memory (e.g. "
            "max_memory='64GB'); otherwise the file is broken: regenerate it.",
            "command": "If the header is right, raise --max_memory (e.g. "
            "--max_memory 64GB); otherwise the file is broken: regenerate it.",
            "r": 'If the header is right, raise `max_memory` (e.g. max_memory = "64GB"); '
            "otherwise the file is broken: regenerate it.",
        },
    )


def check_disk(folder: str | Path, need: int, what: str) -> None:
    """Refuse outputs larger than the free space of the folder they go to.

    Parameters
    ----------
    folder : str or Path
        The output folder (its nearest existing parent is measured).
    need : int
        Bytes that will be written.
    what : str
        What will be written, for the message.

    Raises
    ------
    BudgetError
        If ``need`` exceeds the free space.
    """
    place = Path(folder).absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    free = shutil.disk_usage(place).free
    if need <= free:
        return
    raise BudgetError(
        "{what:text} need about {need:text} on disk, but {file} has {free:text} free.",
        parameter="output_dir",
        file=str(folder),
        what=what,
        need=format_bytes(need),
        free=format_bytes(free),
        fix="Free some space, write to another folder, or extract fewer voxels "
        "(a smaller mask, fewer images).",
    )


def machine_memory() -> int:
    """Return the memory of this machine in bytes, or of its container when smaller."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in (
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return int(total)


def default_memory_budget() -> int:
    """Return the default ``max_memory``: half of :func:`machine_memory`."""
    return machine_memory() // 2


def format_bytes(n: int) -> str:
    """Return ``n`` bytes as text in decimal units (``'32.0 GB'``), as ``max_memory`` reads them."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
