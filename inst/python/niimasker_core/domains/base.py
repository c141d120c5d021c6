"""The domain seam: what the engine asks of an image and of the space its samples live in.

An image is read as a stream of chunks, ``(volumes, samples)`` arrays, over a
:class:`Domain`: the voxels of a grid today; surface vertices or CIFTI
grayordinates next. Everything that depends on the kind of space (resampling
to another one, smoothing, describing where samples lie) is a method of the
domain, so the engine, the cleaning, the tables and the sidecars never ask
which domain they serve. A new domain implements these two protocols and
registers how its files are opened (:mod:`niimasker_core.domains.registry`).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from typing import Any, Protocol

import numpy as np

__all__ = [
    "CHUNK_BYTES",
    "Domain",
    "SampledImage",
    "float_signal_dtype",
    "usable_cores",
]

#: Bytes of raw data read per chunk: a few volumes of an MNI 2 mm image. Small
#: enough to stay in the CPU cache between inflating and reducing.
CHUNK_BYTES = 16 * 2**20


#: The variables by which a parallel runner limits each worker's threads (joblib's
#: loky workers get cores // n_jobs; Dask's nanny sets 1).
_THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def usable_cores() -> int:
    """Return how many threads a piece of work may split into in this process.

    The cores this process may run on, at most the thread limit its runner
    set (a worker of an ``n_jobs`` batch gets its share of the cores, so
    splitting further would only oversubscribe them).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    for name in _THREAD_LIMITS:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            cores = min(cores, int(value))
    return max(cores, 1)


class Domain(Protocol):
    """Where the samples of an image live, and the operations that depend on it.

    ``draws_regions`` says whether :meth:`draw_overlay` draws (the report
    reads the image's mean only then, and not when a ``draws_on_mean``
    attribute is False: the drawing then gets None for a background).
    """

    draws_regions: bool

    @property
    def key(self) -> Hashable:
        """A value equal for two domains holding the same samples."""

    @property
    def n_samples(self) -> int:
        """Samples in one volume."""

    def describe(self) -> str:
        """Return where the domain lies, in words, for messages."""

    def check_kernel(self, fwhm: float, name: str) -> None:
        """Refuse a smoothing kernel that makes no sense here (``name``: the image)."""

    def smooth(self, block: np.ndarray, fwhm: float) -> np.ndarray:
        """Return ``(volumes, samples)`` values smoothed with a kernel of ``fwhm`` mm."""

    def resample_from(
        self,
        source: Domain,
        block: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Return ``block``, sampled on ``source``, interpolated onto this domain."""

    def resample_at(
        self,
        source: Domain,
        block: np.ndarray,
        voxels: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Return ``resample_from(source, block, bounds)[:, voxels]``, computing no more.

        Laid out as the engine's gathers lay out values (volumes vary fastest).
        """

    def draw_overlay(
        self, background: np.ndarray | None, labels: np.ndarray, figures: Any
    ) -> tuple[bytes | None, str] | None:
        """Draw region ``labels`` over a ``background`` (one value per sample each).

        ``figures`` supplies the drawing functions of the report. Returns the
        PNG and a phrase saying what it shows, or None when this domain draws
        no picture (``(None, why)`` when it says why not).
        """


class SampledImage(Protocol):
    """An image the engine streams: its samples, volume by volume.

    An image stored sample by sample (``sample_major``, CIFTI: each
    grayordinate's whole series together) also yields chunks of samples,
    every volume each (:meth:`sample_chunks`), which the engine reads when
    every reduction is a mean over groups of samples.
    """

    path: str
    n_volumes: int
    dtype: np.dtype
    sample_major: bool

    @property
    def domain(self) -> Domain:
        """The space of its samples."""

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype as nilearn's maskers see it (float64 when scaled)."""

    @property
    def volume_bytes(self) -> int:
        """Bytes of one stored volume (to read a given number of volumes at once)."""

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)``, blocks ``(volumes, samples)``, reused."""

    def sample_chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_sample, block)``, blocks ``(volumes from start, samples)``."""

    def read_zeroed(
        self, samples: np.ndarray, domain: Domain | None, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` of ``domain`` (None: its own) in memory, non-finite as 0."""


def float_signal_dtype(dtype: Any) -> np.dtype:
    """Dtype of voxel signals: float data keep theirs, others become float32.

    This is nilearn's ``apply_mask(dtype="f")``, as its ``NiftiMasker`` uses.
    """
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)
