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
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ...errors import ImageNotFoundError, InputFileError
from ..base import CHUNK_BYTES
from .grayordinates import Grayordinates, Structure

__all__ = [
    "CiftiSeries",
    "brain_model_domain",
    "load_cifti",
    "open_cifti_series",
    "read_cifti_t_r",
]

#: Seconds per unit of a CIFTI series axis, for the units it may use.
_SECONDS = {"SECOND": 1.0, "MILLISECOND": 1e-3, "MICROSECOND": 1e-6}


def load_cifti(path: str, what: str, error: type = InputFileError) -> Any:
    """Load a CIFTI-2 file, naming it and what it should be when it cannot be read.

    Parameters
    ----------
    path : str
        The file.
    what : str
        What it is for, in words (``"an input image"``, ``"'roi_file'"``).
    error : type
        The error class raised when it is not a CIFTI-2 file.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    InputFileError or ``error``
        If it is not a readable CIFTI-2 file.
    """
    if not Path(path).is_file():
        raise ImageNotFoundError(f"{what} not found: '{path}'. Check the path.")
    try:
        img = nib.load(path)
    except Exception as exc:
        raise error(
            f"Cannot read {what} '{path}' as a CIFTI-2 file ({exc}). Check that the "
            "file is whole (e.g. open it with wb_command -file-information)."
        ) from None
    if not isinstance(img, nib.Cifti2Image):
        raise error(
            f"{what} '{path}' is named as a CIFTI file but holds a "
            f"{type(img).__name__}. Rename it, or write it as CIFTI-2."
        )
    return img


def brain_model_domain(axis: Any) -> Grayordinates:
    """Return the domain of a CIFTI brain-model axis: its structures, in file order."""
    structures = []
    for name, _, model in axis.iter_structures():
        surface = bool(model.surface_mask.all())
        if surface:
            structures.append(
                Structure(
                    name=name,
                    surface=True,
                    size=int(model.nvertices[name]),
                    indices=np.asarray(model.vertex, dtype=np.int64),
                )
            )
        else:
            structures.append(
                Structure(
                    name=name,
                    surface=False,
                    size=len(model.voxel),
                    indices=np.asarray(model.voxel, dtype=np.int64),
                    affine=np.asarray(model.affine, dtype=np.float64),
                    volume_shape=tuple(int(n) for n in model.volume_shape),
                )
            )
    return Grayordinates(tuple(structures))


@dataclass(frozen=True, eq=False)
class CiftiSeries:
    """A dense CIFTI timeseries (``.dtseries.nii``): its grayordinates, streamed.

    Implements :class:`~niimasker_core.domains.base.SampledImage`.
    """

    path: str
    n_volumes: int
    dtype: np.dtype
    header_t_r: float | None
    grayordinates: Grayordinates
    proxy: Any  # nibabel's array proxy: (volumes, grayordinates)

    #: Each grayordinate's series lies together on disk.
    sample_major = True

    @property
    def domain(self) -> Grayordinates:
        """The grayordinates of its brain-model axis."""
        return self.grayordinates

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype, as nibabel reads them."""
        return self.dtype

    @property
    def volume_bytes(self) -> int:
        """Bytes of one volume's values."""
        return self.grayordinates.n_samples * self.dtype.itemsize

    def sample_chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_sample, block)``: every volume from ``start`` of some samples."""
        n = self.grayordinates.n_samples
        per_chunk = max(1, chunk_bytes // max(self.n_volumes * self.dtype.itemsize, 1))
        for first in range(0, n, per_chunk):
            stop = min(first + per_chunk, n)
            yield first, self._read(slice(start, None), slice(first, stop))

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)`` of consecutive volumes, every sample.

        The file holds each sample's series together, so it is read whole
        first (a reduction that is not a mean over groups needs this).
        """
        data = self._read(slice(start, None), slice(None))
        per_chunk = max(1, chunk_bytes // max(self.volume_bytes, 1))
        for first in range(0, data.shape[0], per_chunk):
            yield start + first, data[first : first + per_chunk]

    def read_zeroed(
        self, samples: np.ndarray, domain: Any, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` of every volume in memory, non-finite values as 0."""
        if smoothing_fwhm:
            self.grayordinates.check_kernel(smoothing_fwhm, self.path)
        values = self._read(slice(None), slice(None))[:, np.asarray(samples)]
        return np.where(np.isfinite(values), values, 0)

    def _read(self, volumes: slice, samples: slice) -> np.ndarray:
        try:
            block = np.asarray(self.proxy[volumes, samples])
        except Exception as exc:
            raise InputFileError(
                f"Cannot read the values of '{self.path}' ({exc}); the file may be "
                "truncated or corrupt. Check it with wb_command -file-information, "
                "or write it again."
            ) from None
        return np.ascontiguousarray(block, dtype=self.dtype)


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
    img = load_cifti(path, "Input image")
    series, models = (img.header.get_axis(i) for i in range(2))
    if not isinstance(models, nib.cifti2.BrainModelAxis):
        raise InputFileError(
            f"Input image '{path}' is a parcellated CIFTI file (its rows are "
            f"{type(models).__name__}s, not grayordinates): it already holds region "
            "timeseries. Read it as a table, or give the dense .dtseries.nii."
        )
    if isinstance(series, nib.cifti2.LabelAxis):
        raise InputFileError(
            f"Input image '{path}' is a CIFTI label file (an atlas). Give it as "
            "'roi_file', and a .dtseries.nii as the input image."
        )
    if not isinstance(series, (nib.cifti2.SeriesAxis, nib.cifti2.ScalarAxis)):
        raise InputFileError(
            f"Input image '{path}' has a {type(series).__name__} first axis; a "
            "dense timeseries (.dtseries.nii) or scalar maps (.dscalar.nii) are read."
        )
    dtype = np.dtype(img.dataobj.dtype).newbyteorder("=")
    if dtype.kind not in "fiu":
        raise InputFileError(
            f"Input image '{path}' holds {dtype} values; numbers are needed."
        )
    return CiftiSeries(
        path=path,
        n_volumes=int(img.shape[0]),
        dtype=np.dtype(dtype),
        header_t_r=_series_t_r(series),
        grayordinates=brain_model_domain(models),
        proxy=img.dataobj,
    )


def _series_t_r(axis: Any) -> float | None:
    if not isinstance(axis, nib.cifti2.SeriesAxis):
        return None
    scale = _SECONDS.get(str(axis.unit).upper())
    if scale is None or not axis.step > 0:
        return None
    return float(axis.step) * scale


def read_cifti_t_r(path: str) -> float | None:
    """Return the step of a CIFTI file's series axis in seconds (None: not a series)."""
    try:
        img = nib.load(path)
        return _series_t_r(img.header.get_axis(0))
    except Exception:
        return None
