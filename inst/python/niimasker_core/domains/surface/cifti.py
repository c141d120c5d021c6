"""CIFTI-2 files: dense timeseries read as images, their brain models as domains.

A ``.dtseries.nii`` holds one series per grayordinate (a vertex of a cortical
surface, or a voxel of a subcortical structure), stored grayordinate by
grayordinate: each one's whole series lies together on disk. It is read as a
``sample_major`` image: the engine reads a chunk of grayordinates at a time,
every volume each, so memory stays at one chunk whatever the length of the
run. Its brain-model axis is the image's
:class:`~niimasker_core.domains.surface.grayordinates.Grayordinates` domain;
the repetition time is the series axis' step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputFileError
from ..base import CHUNK_BYTES
from .cifti_header import CiftiHeader, read_cifti_header
from .grayordinates import Grayordinates

__all__ = ["CiftiSeries", "open_cifti_series", "read_cifti_t_r"]


@dataclass(frozen=True, eq=False)
class CiftiSeries:
    """A dense CIFTI timeseries (``.dtseries.nii``): its grayordinates, streamed.

    Implements :class:`~niimasker_core.domains.base.SampledImage`.
    """

    path: str
    header: CiftiHeader

    #: Each grayordinate's series lies together on disk.
    sample_major = True

    @property
    def n_volumes(self) -> int:
        """Volumes (or maps) in the file."""
        return self.header.rows

    @property
    def dtype(self) -> np.dtype:
        """The values' dtype after scaling, as nibabel reads them."""
        if self.header.slope != 1.0 or self.header.inter != 0.0:
            return np.dtype(np.float64)
        return self.header.dtype.newbyteorder("=")

    @property
    def domain(self) -> Grayordinates:
        """The grayordinates of its brain-model axis."""
        return self.header.domain

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype, as nibabel reads them."""
        return self.dtype

    @property
    def volume_bytes(self) -> int:
        """Bytes of one volume's values."""
        return self.header.columns * self.header.dtype.itemsize

    def sample_chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_sample, block)``: every volume from ``start`` of some samples."""
        n = self.header.columns
        per_chunk = max(1, chunk_bytes // max(self.n_volumes * self.dtype.itemsize, 1))
        for first in range(0, n, per_chunk):
            stop = min(first + per_chunk, n)
            yield first, self.header.read_columns(first, stop)[start:]

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)`` of consecutive volumes, every sample.

        The file holds each sample's series together, so the volumes from
        ``start`` are first gathered whole, a chunk of samples at a time (a
        reduction that is not a mean over groups needs this).
        """
        data = np.empty((self.n_volumes - start, self.header.columns), self.dtype)
        for first, block in self.sample_chunks(start, chunk_bytes):
            data[:, first : first + block.shape[1]] = block
        per_chunk = max(1, chunk_bytes // max(self.volume_bytes, 1))
        for first in range(0, data.shape[0], per_chunk):
            yield start + first, data[first : first + per_chunk]

    def read_zeroed(
        self, samples: np.ndarray, domain: Any, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` of every volume in memory, non-finite values as 0."""
        if smoothing_fwhm:
            self.domain.check_kernel(smoothing_fwhm, self.path)
        values = self.header.read_columns(0, self.header.columns)[
            :, np.asarray(samples)
        ]
        return np.where(np.isfinite(values), values, 0)


def open_cifti_series(path: str) -> CiftiSeries:
    """Read a dense CIFTI timeseries' header into an image the engine streams.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    InputFileError
        If it is not a dense timeseries (an atlas, a parcellated or scalar
        file), naming what it is and what to give instead.
    """
    header = read_cifti_header(path, "Input image")
    if header.column_kind != "BRAIN_MODELS":
        raise InputFileError(
            f"Input image '{path}' is a parcellated CIFTI file (its columns are "
            f"{header.column_kind.lower()}, not grayordinates): it already holds "
            "region timeseries. Read it as a table, or give the dense .dtseries.nii."
        )
    if header.row_kind == "LABELS":
        raise InputFileError(
            f"Input image '{path}' is a CIFTI label file (an atlas). Give it as "
            "'roi_file', and a .dtseries.nii as the input image."
        )
    if header.row_kind not in ("SERIES", "SCALARS"):
        raise InputFileError(
            f"Input image '{path}' has a {header.row_kind.lower()} first axis; a "
            "dense timeseries (.dtseries.nii) or scalar maps (.dscalar.nii) are read."
        )
    if header.dtype.kind not in "fiu":
        raise InputFileError(
            f"Input image '{path}' holds {header.dtype} values; numbers are needed."
        )
    return CiftiSeries(path=path, header=header)


def read_cifti_t_r(path: str) -> float | None:
    """Return the step of a CIFTI file's series axis in seconds (None: not a series)."""
    try:
        return read_cifti_header(path).step_seconds
    except (OSError, InputFileError):
        return None
