"""FreeSurfer ``.mgh``/``.mgz`` surface series: one file per hemisphere, read as one image.

FreeSurfer's ``mri_vol2surf`` writes a run sampled on a surface as
``lh.<name>.mgz`` and ``rh.<name>.mgz`` (or BIDS-named ``hemi-L``/``hemi-R``
files): an MGH volume of ``vertices x 1 x 1 x frames``. The halves pair by
name like GIFTI's and are read as one image of every vertex of each mesh
(:func:`~niimasker_core.domains.surface.gifti.hemisphere_parts`, as GIFTI's). MGH files
carry no hemisphere metadata, so the name says which half a file is.

A ``.mgz`` is read whole with nibabel (it is gzip-compressed: a frame cannot
be reached without inflating the ones before it), then streamed from memory.
A ``.mgh`` stores its frames one after the other, uncompressed, so it is
read a chunk of frames at a time (:class:`MghSeries`): memory
stays at one chunk whatever the run's length. The repetition time is the
header's ``tr`` field, in milliseconds (0: unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nibabel.freesurfer import mghformat

from ...errors import ImageNotFoundError, InputFileError
from ..base import CHUNK_BYTES
from .gifti import GiftiSeries, hemisphere_parts, join_hemispheres
from .grayordinates import Grayordinates
from .hemispheres import hemisphere_of_name

__all__ = ["MghSeries", "open_mgh_series", "read_mgh_t_r"]


def _t_r(header: mghformat.MGHHeader) -> float | None:
    """Return the header's ``tr`` (milliseconds) in seconds, None when 0 or absent."""
    value = float(header["tr"])
    return value / 1000.0 if np.isfinite(value) and value > 0 else None


def _open_half(path: str) -> tuple[str, mghformat.MGHImage]:
    """Open one hemisphere's header: its structure and the image (data not read)."""
    if not Path(path).is_file():
        raise ImageNotFoundError(f"Input image not found: '{path}'. Check the path.")
    structure = hemisphere_of_name(path)
    if structure is None:
        raise InputFileError(
            f"Cannot tell which hemisphere '{path}' holds: an MGH file has no "
            "hemisphere metadata and its name has no lh./rh. or hemi-L/hemi-R. "
            "Rename it (e.g. lh.sub-01_task-rest_bold.mgz)."
        )
    try:
        img = mghformat.load(path)
    except Exception as exc:
        raise InputFileError(
            f"Cannot read input image '{path}' as a FreeSurfer MGH file ({exc})."
        ) from None
    if np.dtype(img.get_data_dtype()).kind not in "fiu":
        raise InputFileError(
            f"Input image '{path}' holds {img.get_data_dtype()} values; numbers "
            "are needed."
        )
    return structure, img


def _frames(img: mghformat.MGHImage) -> tuple[int, int]:
    """Return ``(frames, vertices)``: vertices may span the three spatial axes."""
    shape = tuple(int(n) for n in img.shape)
    return (shape[3] if len(shape) > 3 else 1), int(np.prod(shape[:3]))


def _read_half(path: str) -> tuple[str, str, np.ndarray, float | None]:
    """Read one hemisphere whole: its file, structure, ``(volumes, vertices)``, TR."""
    structure, img = _open_half(path)
    try:
        data = np.asarray(img.dataobj)
    except Exception as exc:
        raise InputFileError(
            f"Cannot read input image '{path}' as a FreeSurfer MGH file ({exc})."
        ) from None
    # vertices run width first (FreeSurfer spreads large meshes over the axes)
    frames = data.reshape(_frames(img)[1], -1, order="F").T
    native = frames.astype(frames.dtype.newbyteorder("="), copy=False)
    return path, structure, native, _t_r(img.header)


@dataclass(frozen=True)
class _Frames:
    """Where one uncompressed hemisphere's ``(volumes, vertices)`` values lie on disk."""

    path: str
    offset: int
    dtype: np.dtype  # as stored (big-endian)
    shape: tuple[int, int]

    def read(self, first: int, stop: int) -> np.ndarray:
        """Read volumes ``first`` to ``stop`` (a ``(volumes, vertices)`` array)."""
        stop = min(stop, self.shape[0])
        row = self.shape[1] * self.dtype.itemsize
        with open(self.path, "rb") as file:
            file.seek(self.offset + first * row)
            values = np.fromfile(file, self.dtype, (stop - first) * self.shape[1])
        return values.reshape(stop - first, self.shape[1])


def _map_half(path: str) -> tuple[str, str, _Frames, float | None]:
    """Locate one uncompressed hemisphere's values on disk, without reading them."""
    structure, img = _open_half(path)
    frames = _Frames(
        path, int(img.dataobj.offset), np.dtype(img.get_data_dtype()), _frames(img)
    )
    return path, structure, frames, _t_r(img.header)


@dataclass(frozen=True, eq=False)
class MghSeries:
    """One or two uncompressed ``.mgh`` hemispheres of a run, read a chunk at a time.

    Implements :class:`~niimasker_core.domains.base.SampledImage`.
    """

    path: str
    files: tuple[str, ...]
    halves: tuple[_Frames, ...]  # each (volumes, vertices), on disk
    header_t_r: float | None
    grayordinates: Grayordinates

    #: Volumes are read one after the other.
    sample_major = False

    @property
    def n_volumes(self) -> int:
        """Volumes in the run."""
        return int(self.halves[0].shape[0])

    @property
    def dtype(self) -> np.dtype:
        """The values' dtype, native byte order."""
        return np.result_type(*(h.dtype.newbyteorder("=") for h in self.halves))

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype, as nibabel reads them."""
        return self.dtype

    @property
    def domain(self) -> Grayordinates:
        """Every vertex of each hemisphere's mesh."""
        return self.grayordinates

    @property
    def volume_bytes(self) -> int:
        """Bytes of one volume."""
        return int(sum(h.shape[1] for h in self.halves)) * self.dtype.itemsize

    def _read(self, first: int, stop: int) -> np.ndarray:
        block = np.hstack([h.read(first, stop) for h in self.halves])
        return block.astype(self.dtype, copy=False)

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)`` of consecutive volumes, every vertex."""
        per_chunk = max(1, chunk_bytes // max(self.volume_bytes, 1))
        for first in range(start, self.n_volumes, per_chunk):
            yield first, self._read(first, first + per_chunk)

    def sample_chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_sample, block)``: every volume from ``start``, every vertex."""
        yield 0, self._read(start, self.n_volumes)

    def read_zeroed(
        self, samples: np.ndarray, domain: Any, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` of every volume, non-finite values as 0."""
        if smoothing_fwhm:
            self.grayordinates.check_kernel(smoothing_fwhm, self.path)
        samples = np.asarray(samples)
        per_chunk = max(1, CHUNK_BYTES // max(self.volume_bytes, 1))
        values = np.vstack(
            [
                self._read(first, first + per_chunk)[:, samples]
                for first in range(0, self.n_volumes, per_chunk)
            ]
        )
        return np.where(np.isfinite(values), values, 0)


def open_mgh_series(
    path: str, companions: tuple[str, ...] = ()
) -> GiftiSeries | MghSeries:
    """Read an MGH surface run: one hemisphere, or both (``path`` and its other half).

    Uncompressed ``.mgh`` files are streamed from disk; ``.mgz`` files are
    read whole.

    Parameters
    ----------
    path : str
        One hemisphere's ``.mgh``/``.mgz`` (the left one of a pair).
    companions : tuple of str
        The other hemisphere's file, when the run has both.

    Raises
    ------
    ImageNotFoundError
        If a file does not exist.
    InputFileError
        If a file cannot be read, its hemisphere cannot be told from its
        name, both are the same hemisphere, or they differ in their number
        of volumes.
    """
    files = (path, *companions)
    if all(f.lower().endswith(".mgh") for f in files):
        parts = hemisphere_parts(path, [_map_half(f) for f in files])
        return MghSeries(path=path, **parts)
    return join_hemispheres(path, [_read_half(f) for f in files])


def read_mgh_t_r(path: str) -> float | None:
    """Return an MGH file's ``tr`` in seconds (None: 0, absent or unreadable).

    Only the header is read.
    """
    try:
        return _t_r(mghformat.load(path).header)
    except Exception:
        return None
