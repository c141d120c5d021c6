"""GIFTI surface timeseries: one file per hemisphere, read as one image.

fMRIPrep writes a run sampled on a surface as two files,
``..._hemi-L_space-fsaverage5_bold.func.gii`` and its ``hemi-R`` twin, each
one DataArray per volume. The two halves are read as one image whose
domain is :class:`~niimasker_core.domains.surface.grayordinates.Grayordinates`
of every vertex of each mesh (left first), so an atlas matches them
hemisphere by hemisphere and vertex by vertex. Each file is read whole
(:mod:`~niimasker_core.domains.surface.gifti_io`: GIFTI stores values as
compressed text, volume by volume), then streamed from memory.

The repetition time is the DataArrays' ``TimeStep`` metadata, which
FreeSurfer's ``mri_vol2surf`` (as fMRIPrep runs it) writes in milliseconds:
a value of 20 or more is read as milliseconds, a smaller one as seconds
(no fMRI run has a TR of 20 ms or 20 s); 0 means unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ...errors import InputFileError
from ..base import CHUNK_BYTES
from .gifti_io import GiftiArrays, read_gifti_arrays
from .grayordinates import CORTEX_LEFT, Grayordinates, Structure
from .hemispheres import structure_of

__all__ = [
    "GiftiSeries",
    "hemisphere_parts",
    "join_hemispheres",
    "open_gifti_series",
    "read_gifti_t_r",
    "time_step_seconds",
]

#: Intents that are not data sampled on vertices over time.
_NOT_SERIES = {
    "NIFTI_INTENT_LABEL": "a label file (an atlas): give it as 'roi_file'",
    "NIFTI_INTENT_POINTSET": "a mesh (vertex coordinates), not data on it",
    "NIFTI_INTENT_TRIANGLE": "a mesh (its triangles), not data on it",
}


def time_step_seconds(value: float | None) -> float | None:
    """Return a GIFTI ``TimeStep`` in seconds: 20 or more is milliseconds; 0 unknown."""
    if value is None or not np.isfinite(value) or value <= 0:
        return None
    return value / 1000.0 if value >= 20 else float(value)


@dataclass(frozen=True, eq=False)
class GiftiSeries:
    """One or two GIFTI hemispheres of a run, as one image.

    Opening reads each file's XML skeleton only; the values are decoded at
    the first read of any of them (a report asking for the domain decodes
    nothing). Implements :class:`~niimasker_core.domains.base.SampledImage`.
    """

    path: str
    files: tuple[str, ...]
    halves: tuple[GiftiArrays | np.ndarray, ...]  # left first, see join_hemispheres
    header_t_r: float | None
    grayordinates: Grayordinates

    #: Volumes are read one after the other.
    sample_major = False

    @cached_property
    def data(self) -> np.ndarray:
        """Return ``(volumes, vertices)``, hemispheres one after the other.

        A file of one DataArray per volume (as fMRIPrep writes them) is
        decoded straight into its hemisphere's columns, without a copy.
        """
        out = np.empty((self.n_volumes, self.grayordinates.n_samples), self.dtype)
        start = 0
        for half in self.halves:
            stop = start + _volumes_first_shape(half)[1]
            if isinstance(half, GiftiArrays) and half.one_row_per_array:
                half.decode_rows([row[start:stop] for row in out])
            else:
                out[:, start:stop] = _volumes_first(half)
            start = stop
        return out

    @property
    def n_volumes(self) -> int:
        """Volumes in the run."""
        return _volumes_first_shape(self.halves[0])[0]

    @property
    def dtype(self) -> np.dtype:
        """The values' dtype."""
        return self.halves[0].dtype

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype, as nibabel reads them."""
        return self.halves[0].dtype

    @property
    def domain(self) -> Grayordinates:
        """Every vertex of each hemisphere's mesh."""
        return self.grayordinates

    @property
    def volume_bytes(self) -> int:
        """Bytes of one volume."""
        return self.grayordinates.n_samples * self.dtype.itemsize

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)`` of consecutive volumes, every vertex."""
        per_chunk = max(1, chunk_bytes // max(self.volume_bytes, 1))
        for first in range(start, self.n_volumes, per_chunk):
            yield first, self.data[first : first + per_chunk]

    def sample_chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_sample, block)``: every volume from ``start``, some vertices."""
        yield 0, self.data[start:]

    def read_zeroed(
        self, samples: np.ndarray, domain: Any, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` of every volume, non-finite values as 0."""
        if smoothing_fwhm:
            self.grayordinates.check_kernel(smoothing_fwhm, self.path)
        values = self.data[:, np.asarray(samples)]
        return np.where(np.isfinite(values), values, 0)


def _volumes_first_shape(half: Any) -> tuple[int, int]:
    """Return ``(volumes, vertices)`` of one hemisphere.

    ``half`` is a GIFTI file's arrays, or anything shaped ``(volumes,
    vertices)`` (values read, values left on disk).
    """
    if not isinstance(half, GiftiArrays):
        return int(half.shape[0]), int(half.shape[1])
    rows, columns = half.shape
    return (columns, rows) if _one_by_vertex(half) else (rows, columns)


def _volumes_first(half: GiftiArrays | np.ndarray) -> np.ndarray:
    """Return one hemisphere's values, ``(volumes, vertices)``, decoding a file's."""
    if isinstance(half, np.ndarray):
        return half
    return half.data.T if _one_by_vertex(half) else half.data


def _one_by_vertex(arrays: GiftiArrays) -> bool:
    """Tell one ``(vertices, volumes)`` array, as nilearn writes them."""
    return arrays.n_arrays == 1 and len(arrays.dims) == 2 and not arrays.transposed


def _read_half(path: str) -> tuple[str, GiftiArrays, float | None]:
    """Read one hemisphere's skeleton: its structure, its arrays (lazy), its TR."""
    arrays = read_gifti_arrays(path, lazy=True)
    if arrays.intent in _NOT_SERIES:
        raise InputFileError(
            f"Input image '{path}' is {_NOT_SERIES[arrays.intent]}. Give the "
            "run's surface data (e.g. fMRIPrep's *_hemi-L_*_bold.func.gii)."
        )
    if arrays.dtype.kind not in "fiu":
        raise InputFileError(
            f"Input image '{path}' holds {arrays.dtype} values; numbers are needed."
        )
    structure = structure_of(path, arrays.anatomical_structure)
    if structure is None:
        raise InputFileError(
            f"Cannot tell which hemisphere '{path}' holds: its metadata has no "
            "AnatomicalStructurePrimary and its name no hemi-L/hemi-R, lh./rh. "
            "or .L./.R. Rename it (e.g. sub-01_hemi-L_bold.func.gii)."
        )
    return structure, arrays, time_step_seconds(arrays.time_step)


def open_gifti_series(path: str, companions: tuple[str, ...] = ()) -> GiftiSeries:
    """Read a GIFTI run: one hemisphere, or both (``path`` and its other half).

    Parameters
    ----------
    path : str
        One hemisphere's ``.func.gii`` (the left one of a pair).
    companions : tuple of str
        The other hemisphere's file, when the run has both.

    Raises
    ------
    ImageNotFoundError
        If a file does not exist.
    InputFileError
        If a file is not surface data, its hemisphere cannot be told, both
        are the same hemisphere, or they differ in their number of volumes.
    """
    return join_hemispheres(path, [(f, *_read_half(f)) for f in (path, *companions)])


def join_hemispheres(
    path: str, halves: list[tuple[str, str, GiftiArrays | np.ndarray, float | None]]
) -> GiftiSeries:
    """Join one or two hemispheres' series into one image, the left first.

    Each half is ``(file, structure, data, TR or None)``, its data a GIFTI
    file's arrays (decoded at the first read) or ``(volumes, vertices)``
    values already read (FreeSurfer ``.mgz`` runs are joined this way too).

    Raises
    ------
    InputFileError
        If both are the same hemisphere, or they differ in their number of
        volumes or their data type.
    """
    parts = hemisphere_parts(path, halves)
    if len({half.dtype for half in parts["halves"]}) > 1:
        raise InputFileError(
            "The hemispheres of one run differ in their data type: "
            + ", ".join(
                f"'{f}' holds {h.dtype}"
                for f, h in zip(parts["files"], parts["halves"])
            )
            + ". Give the two halves of the same run."
        )
    return GiftiSeries(path=path, **parts)


def hemisphere_parts(
    path: str, halves: list[tuple[str, str, Any, float | None]]
) -> dict:
    """Check one or two hemispheres of a run and return what an image of them holds.

    Each half is ``(file, structure, data, TR or None)``, its data anything
    whose ``(volumes, vertices)`` shape :func:`_volumes_first_shape` reads.
    Returns the keyword arguments of :class:`GiftiSeries` (or of any image
    of hemispheres) but ``path``: ``files``, ``halves`` (the data, left
    first), ``header_t_r`` and ``grayordinates``.

    Raises
    ------
    InputFileError
        If both are the same hemisphere, or they differ in their number of
        volumes.
    """
    halves = sorted(halves, key=lambda h: h[1] != CORTEX_LEFT)
    names = [h[1] for h in halves]
    if len(set(names)) != len(names):
        raise InputFileError(
            f"'{halves[0][0]}' and '{halves[1][0]}' both hold the "
            f"{names[0].removeprefix('CIFTI_STRUCTURE_').lower()} hemisphere. Give "
            "one file per hemisphere."
        )
    shapes = [_volumes_first_shape(h[2]) for h in halves]
    if len({shape[0] for shape in shapes}) > 1:
        raise InputFileError(
            "The hemispheres of one run differ in their number of volumes: "
            + ", ".join(f"'{h[0]}' has {s[0]}" for h, s in zip(halves, shapes))
            + ". Give the two halves of the same run."
        )
    steps = [h[3] for h in halves if h[3] is not None]
    structures = tuple(
        Structure(name=h[1], surface=True, size=s[1], indices=np.arange(s[1]))
        for h, s in zip(halves, shapes)
    )
    files = tuple(h[0] for h in halves)
    return {
        "files": files,
        "halves": tuple(h[2] for h in halves),
        "header_t_r": steps[0] if steps else None,
        "grayordinates": Grayordinates(structures, files=files),
    }


#: The first DataArray's TimeStep, in the file's first bytes (its payload follows).
_TIME_STEP = re.compile(
    rb"<Name>\s*(?:<!\[CDATA\[)?\s*TimeStep\s*(?:\]\]>)?\s*</Name>\s*"
    rb"<Value>\s*(?:<!\[CDATA\[)?\s*([-+0-9.eE]+)"
)


def read_gifti_t_r(path: str) -> float | None:
    """Return a GIFTI file's first ``TimeStep`` in seconds (None: absent, unreadable).

    Only the file's head is read: the metadata precede the first payload.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 16)
        head = head[: head.find(b"<Data>")] if b"<Data>" in head else head
        found = _TIME_STEP.search(head)
        return time_step_seconds(float(found.group(1))) if found else None
    except (OSError, ValueError):
        return None
