"""Read a 4D NIfTI image lazily, a chunk of volumes at a time.

Decompressing the ``.nii.gz`` is most of the cost of an extraction, so the
data are streamed straight from the file (through ISA-L's inflater when the
file is gzipped) into one reused buffer. Memory stays at one chunk whatever
the number of volumes. Values are scaled exactly as nibabel's
``np.asanyarray(img.dataobj)`` scales them (``scl_slope``/``scl_inter``),
which is what nilearn's maskers read.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import nibabel as nib
import numpy as np
from nibabel.volumeutils import apply_read_scaling

from .errors import ImageNotFoundError, InputFileError

try:  # ISA-L inflates ~3x faster than zlib; fall back when it is missing.
    from isal import igzip as _fast_gzip
except ImportError:  # pragma: no cover - isal is a declared dependency
    _fast_gzip = gzip

__all__ = ["ImageInfo", "iter_chunks", "read_image_info"]

#: Bytes of raw data read per chunk; a few dozen volumes of an MNI 2 mm image.
CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ImageInfo:
    """What is known about a 4D image from its header alone."""

    path: str
    shape: tuple[int, int, int]
    n_volumes: int
    affine: np.ndarray
    raw_dtype: np.dtype
    dtype: np.dtype  # dtype after scaling, as nibabel returns it
    offset: int
    slope: float
    inter: float
    header_t_r: float | None  # pixdim[4] in seconds, if the units say so

    @property
    def n_voxels(self) -> int:
        """Return the number of voxels in one volume."""
        return int(np.prod(self.shape))


def read_image_info(path: str | Path, *, need_4d: bool = True) -> ImageInfo:
    """Read the header of an image and check that it can be streamed.

    Parameters
    ----------
    path : str or Path
        A ``.nii`` or ``.nii.gz`` file.
    need_4d : bool
        Raise if the image is not 4D (a 3D image is one volume otherwise).

    Returns
    -------
    ImageInfo
        Shape, affine, data type, scaling and the TR found in the header.

    Raises
    ------
    ImageNotFoundError
        If ``path`` does not exist.
    InputFileError
        If the file is not a NIfTI image, or not 4D when ``need_4d``.
    """
    path = str(path)
    if not Path(path).is_file():
        raise ImageNotFoundError(
            f"Input image not found: '{path}'. Check the path and, for a wildcard "
            "pattern, that it matches files."
        )
    try:
        img = nib.load(path)
    except Exception as exc:
        raise InputFileError(
            f"Cannot read '{path}' as a NIfTI image ({exc}). Give a .nii or .nii.gz file."
        ) from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InputFileError(
            f"'{path}' is a {type(img).__name__}, not a NIfTI image. Convert it to "
            ".nii or .nii.gz first."
        )
    shape = img.shape
    if len(shape) == 5 and shape[3] == 1:
        shape = shape[:3] + (shape[4],)
    if len(shape) == 3:
        if need_4d:
            raise InputFileError(
                f"'{path}' is a 3D image {tuple(shape)}; a 4D fMRI series is needed. "
                "Pass the 4D BOLD run, not a single volume or a mask."
            )
        shape = shape + (1,)
    if len(shape) != 4:
        raise InputFileError(
            f"'{path}' has {len(shape)} dimensions {tuple(shape)}; a 4D image is needed."
        )
    proxy = img.dataobj
    slope = float(proxy.slope)
    inter = float(proxy.inter)
    raw_dtype = img.header.get_data_dtype()
    if slope == 1.0 and inter == 0.0:
        dtype = np.dtype(raw_dtype.newbyteorder("="))
    else:
        dtype = apply_read_scaling(
            np.zeros(1, raw_dtype), np.asanyarray(proxy._slope), np.asanyarray(proxy._inter)
        ).dtype
    return ImageInfo(
        path=path,
        shape=tuple(int(n) for n in shape[:3]),
        n_volumes=int(shape[3]),
        affine=img.affine,
        raw_dtype=raw_dtype,
        dtype=dtype,
        offset=int(proxy.offset),
        slope=slope,
        inter=inter,
        header_t_r=_header_t_r(img.header),
    )


def _header_t_r(header: nib.Nifti1Header) -> float | None:
    zooms = header.get_zooms()
    if len(zooms) < 4 or not zooms[3] or zooms[3] <= 0:
        return None
    _, time_unit = header.get_xyzt_units()
    factor = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6}.get(time_unit)
    if factor is None:
        return None
    return float(zooms[3]) * factor


def _open_raw(path: str) -> BinaryIO:
    if path.endswith(".gz"):
        return _fast_gzip.open(path, "rb")
    return open(path, "rb")


def iter_chunks(
    info: ImageInfo, *, start: int = 0, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_volume, block)`` for consecutive chunks of volumes.

    Parameters
    ----------
    info : ImageInfo
        The image, from :func:`read_image_info`.
    start : int
        Index of the first volume to yield (earlier volumes are skipped
        without being converted).
    chunk_bytes : int
        Approximate size of one chunk of raw data.

    Yields
    ------
    first_volume : int
        Index of the block's first volume in the whole image.
    block : numpy.ndarray
        Shape ``(n_volumes_in_chunk, n_voxels)``: one row per volume, voxels
        in NIfTI (Fortran) order. The array is reused for the next chunk, so
        consume it before asking for the next one.

    Raises
    ------
    InputFileError
        If the file ends before all volumes are read.
    """
    vol_bytes = info.n_voxels * info.raw_dtype.itemsize
    per_chunk = max(1, min(info.n_volumes, chunk_bytes // max(vol_bytes, 1)))
    buffer = bytearray(per_chunk * vol_bytes)
    view = memoryview(buffer)
    with _open_raw(info.path) as stream:
        stream.seek(info.offset + start * vol_bytes)
        first = start
        while first < info.n_volumes:
            count = min(per_chunk, info.n_volumes - first)
            wanted = count * vol_bytes
            got = 0
            while got < wanted:
                n = stream.readinto(view[got:wanted])
                if not n:
                    raise InputFileError(
                        f"'{info.path}' ends early: volume {first + got // vol_bytes} "
                        f"of {info.n_volumes} is incomplete. The file is truncated; "
                        "re-copy or regenerate it."
                    )
                got += n
            raw = np.frombuffer(buffer, dtype=info.raw_dtype, count=count * info.n_voxels)
            raw = raw.reshape(count, info.n_voxels)
            if info.slope != 1.0 or info.inter != 0.0:
                block = apply_read_scaling(
                    raw, np.asarray(info.slope), np.asarray(info.inter)
                ).astype(info.dtype, copy=False)
            elif not info.raw_dtype.isnative:
                block = raw.astype(info.dtype)
            else:
                block = raw
            yield first, block
            first += count
