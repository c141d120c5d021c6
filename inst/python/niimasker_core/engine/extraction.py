"""The extraction engine: one streamed pass over an image feeds every reduction.

For each chunk of volumes the engine resamples (to a reduction's own domain)
and smooths, asking the image's domain how, then gathers each reduction's
samples and reduces them to columns (:mod:`.plan`, :mod:`.stream`,
:mod:`.finish`). Memory is one chunk of the image (two while the next one is
inflated ahead) plus the ``T x R`` outputs, whatever the number of volumes.
The engine knows no domain and no settings: an image and its domain follow
:mod:`niimasker_core.domains.base`.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext

from ..domains.base import CHUNK_BYTES, SampledImage
from .blas import one_blas_thread
from .finish import Extracted, finish
from .plan import plan_stream
from .reduction import Reduction
from .stream import NonFiniteValues, stream, stream_samples

__all__ = ["extract"]


def extract(
    image: SampledImage,
    reductions: Sequence[Reduction],
    *,
    discard_scans: int = 0,
    smoothing_fwhm: float | None = None,
    nan_policy: str = "error",
    progress: Callable[[int], None] | None = None,
    import_meanwhile: Sequence[str] = (),
    chunk_bytes: int = CHUNK_BYTES,
    mean_volumes: int = 0,
) -> Extracted:
    """Stream ``image``'s volumes once and apply every reduction.

    Parameters
    ----------
    image : SampledImage
        The image to read (e.g. :class:`~niimasker_core.domains.volume.nifti.ImageInfo`).
    reductions : sequence of Reduction
        What to compute; see :class:`~niimasker_core.engine.Reduction`.
    discard_scans : int
        Number of leading volumes skipped (never decompressed into results).
    smoothing_fwhm : float or None
        Gaussian smoothing FWHM in mm applied to each volume, as
        ``nilearn.image.smooth_img`` does. Refused when wider than the field
        of view.
    nan_policy : {"error", "zero", "omit"}
        NaN or infinite ROI voxels: raise; count them as 0 (nilearn's
        ``ensure_finite``); or leave them out of each region's statistic,
        volume by volume (reductions without ``reduce_omit`` refuse it).
        Reductions that read them as 0 themselves (``non_finite="zero"``,
        nilearn's ``NiftiMasker``) are then read in memory.
    progress : callable, optional
        Called with the number of volumes done after each chunk.
    import_meanwhile : sequence of str
        Modules the caller needs next (e.g. ``"nilearn.signal"``), imported
        in a worker thread while the image streams: inflating releases the
        GIL, so their import time is hidden. The engine imports nothing else
        until they are loaded, so the two threads never import concurrently;
        an import error is left for the caller's own import to raise.
    chunk_bytes : int
        Raw bytes read per chunk (at least one volume).
    mean_volumes : int
        Also average the first ``mean_volumes`` volumes read (from
        ``discard_scans`` on), sample by sample, as they stream
        (``Extracted.volume_mean``): a report draws the regions on it without
        reading the image again. Images read sample by sample, or in memory,
        give none.

    Returns
    -------
    Extracted
        One signal array per reduction (float32 for float32 images, as nilearn).

    Raises
    ------
    InputFileError
        If ROI voxels hold NaN or infinite values (``nan_policy="error"``, or
        "omit" where it cannot apply), or the file is truncated or corrupt.
    SettingsError
        If ``smoothing_fwhm`` is wider than the image's field of view.
    """
    if image.sample_major and all(r.groups is not None for r in reductions):
        if smoothing_fwhm:
            image.domain.check_kernel(smoothing_fwhm, image.path)
        streamed = stream_samples(
            image,
            reductions,
            start=discard_scans,
            nan_policy=nan_policy,
            chunk_bytes=chunk_bytes,
            progress=progress,
        )
        return finish(image, reductions, None, streamed, discard_scans)
    plan = plan_stream(
        image,
        reductions,
        smoothing_fwhm=smoothing_fwhm,
        start=discard_scans,
        chunk_bytes=chunk_bytes,
    )
    if plan.smooth or plan.resampled:
        # Import what the loop needs now, before any import_meanwhile thread.
        import nilearn.image  # noqa: F401
    loader = _import_in_background(import_meanwhile)
    try:
        # Resampling is BLAS products in this thread while another inflates.
        with one_blas_thread() if plan.resampled else nullcontext():
            streamed = stream(
                image,
                reductions,
                plan,
                start=discard_scans,
                smoothing_fwhm=smoothing_fwhm,
                nan_policy=nan_policy,
                chunk_bytes=chunk_bytes,
                progress=progress,
                mean_volumes=mean_volumes,
            )
    except NonFiniteValues:
        return _read_zeroed(image, reductions, discard_scans, smoothing_fwhm)
    finally:
        if loader is not None:
            loader.join()
    return finish(image, reductions, plan, streamed, discard_scans)


def _read_zeroed(
    image: SampledImage,
    reductions: Sequence[Reduction],
    start: int,
    smoothing_fwhm: float | None,
) -> Extracted:
    """Read every reduction in memory with non-finite values as 0, as nilearn's maskers.

    Only reductions that ask for it (``non_finite="zero"``) come here; they
    are never mixed with others in one extraction.
    """
    signals = [
        image.read_zeroed(red.voxels, red.domain, smoothing_fwhm)[start:]
        for red in reductions
    ]
    return Extracted(
        signals,
        start,
        [None] * len(reductions),
        [None] * len(reductions),
        zeroed_non_finite=True,
    )


def _import_in_background(names: Sequence[str]) -> threading.Thread | None:
    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return None

    def load() -> None:
        for name in missing:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the caller's own import reports it
                return

    thread = threading.Thread(target=load, name="niimasker-import", daemon=True)
    thread.start()
    return thread
