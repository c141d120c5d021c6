"""Output writers. Every file is written to a temporary name and renamed when complete."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from isal import igzip

from ..errors import OutputError

__all__ = [
    "TEMPORARY_PATTERN",
    "atomic_path",
    "temporary_name",
    "write_json",
    "write_nifti",
    "write_npy",
    "write_rows",
    "write_table",
]

#: How temporaries are named: hidden, with the writer's process id and host, so
#: that a later run can tell a killed run's leftovers from a live run's files.
TEMPORARY_PATTERN = re.compile(
    r"^\.(?P<target>.+)\.[0-9a-f]{12}\.(?P<pid>\d+)@(?P<host>.+)\.niimasker-tmp"
    r"(\.[A-Za-z0-9.]*)?$"
)


@contextlib.contextmanager
def atomic_path(target: str | Path, *, size_hint: int | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it to ``target`` on success.

    Parameters
    ----------
    target : str or Path
        The file to write.
    size_hint : int, optional
        Bytes the file is expected to take, named when the disk is full.

    Raises
    ------
    OutputError
        If the folder cannot be created or written, or the disk fills up
        (naming the file, the space needed and the space free).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / temporary_name(target.name)
        # Created with open(), not mkstemp: mkstemp's 0600 mode would survive
        # the rename and hide the outputs from the rest of the lab; open()
        # honours the user's umask like any other file they write.
        with open(tmp, "x"):
            pass
    except OSError as exc:
        raise OutputError(
            f"Cannot write to '{target.parent}': {exc.strerror}."
        ) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise _write_error(target, exc, size_hint) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def temporary_name(name: str) -> str:
    """Return the name :func:`atomic_path` writes ``name`` under first (see TEMPORARY_PATTERN)."""
    suffix = "".join(Path(name).suffixes)
    writer = f"{uuid.uuid4().hex[:12]}.{os.getpid()}@{socket.gethostname()}"
    return f".{name}.{writer}.niimasker-tmp{suffix}"


def _write_error(target: Path, exc: OSError, size_hint: int | None) -> OutputError:
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"Cannot write '{target}': {exc.strerror or exc}. Check the folder's "
            "permissions and the disk, or choose another 'output_dir'."
        )
    try:
        free = f"{_size(shutil.disk_usage(target.parent).free)} free"
    except OSError:
        free = "free space unknown"
    needed = "" if size_hint is None else f"about {_size(size_hint)} needed, "
    return OutputError(
        f"The disk is full (or over quota) while writing '{target}': {needed}{free}. "
        "Free some space or choose another 'output_dir', then run again; nothing "
        "half-written was left."
    )


def _size(n_bytes: float) -> str:
    if n_bytes < 1024:
        return f"{n_bytes:.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        n_bytes /= 1024
        if n_bytes < 1024 or unit == "GB":
            break
    return f"{n_bytes:.1f} {unit}"


def write_table(
    target: str | Path,
    values: np.ndarray,
    columns: Sequence[str],
    *,
    float_format: str = "%.9g",
) -> Path:
    """Write a ``(rows, columns)`` array as a tab-separated table with a header.

    NaN is written as ``n/a`` (BIDS). No index column is written.
    """
    values = np.asarray(values, dtype=np.float64)
    # One format string per row is ~4x faster than formatting cell by cell
    # (np.char.mod), which matters for voxel tables of millions of cells.
    row_format = "\t".join([float_format] * values.shape[1])
    missing = np.isnan(values).any(axis=1)
    header = "\t".join(columns) + "\n"
    first_row = row_format % tuple(values[0]) if len(values) else ""
    size = len(header) + (len(first_row) + 1) * len(values)
    with atomic_path(target, size_hint=size) as tmp, open(tmp, "w") as handle:
        handle.write(header)
        for row, has_nan in zip(values.tolist(), missing.tolist()):
            line = row_format % tuple(row)
            if has_nan:
                line = "\t".join(
                    "n/a" if cell == "nan" else cell for cell in line.split("\t")
                )
            handle.write(line + "\n")
    return Path(target)


def write_rows(target: str | Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Write a list of dicts (same keys) as a TSV."""
    keys = list(rows[0]) if rows else []
    lines = ["\t".join(keys)]
    for row in rows:
        lines.append("\t".join(_cell(row[k]) for k in keys))
    text = "\n".join(lines) + "\n"
    with atomic_path(target, size_hint=len(text.encode())) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)
    return Path(target)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if np.isnan(value) else f"{value:.6g}"
    return str(value)


def write_json(
    target: str | Path, payload: dict[str, Any], *, stream: bool = False
) -> Path:
    """Write ``payload`` as indented JSON (numpy scalars and arrays converted).

    With ``stream``, the text is written piece by piece as it is encoded,
    never held whole (a batch's record of 10,000 runs).
    """
    if stream:
        with atomic_path(target) as tmp, open(tmp, "w") as handle:
            json.dump(payload, handle, indent=2, default=_jsonable)
            handle.write("\n")
        return Path(target)
    text = json.dumps(payload, indent=2, default=_jsonable) + "\n"
    with atomic_path(target, size_hint=len(text.encode())) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)
    return Path(target)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_npy(target: str | Path, values: np.ndarray) -> Path:
    """Write an array as ``.npy`` atomically."""
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.save(handle, values)
    return Path(target)


def write_nifti(target: str | Path, img: Any) -> Path:
    """Write a nibabel image atomically; ``.gz`` through ISA-L's gzip.

    ISA-L at level 1 (nibabel's default level) is ~10x faster than zlib and
    the file is an ordinary gzip stream, read by any NIfTI reader.
    """
    size = getattr(getattr(img, "dataobj", None), "nbytes", None)  # before gzip
    with atomic_path(target, size_hint=size) as tmp:
        if str(target).endswith(".gz"):
            with igzip.open(tmp, "wb", compresslevel=1) as handle:
                img.to_file_map(img.make_file_map({"image": handle}))
        else:
            img.to_filename(str(tmp))
    return Path(target)
