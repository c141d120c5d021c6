"""One image: extraction, confounds and cleaning, then its outputs (or a failure).

:func:`process_image` is the unit of work of a batch: wherever the batch
runs (serial, joblib workers, a Dask cluster, one shard of a SLURM array),
each image goes through this same function, so every way of running writes
the same bytes. Every ROI set is reduced from one streamed read of the
image; each set is then cleaned, checked and written on its own. Nothing here
asks which kind a set is: a set whose columns are the elements of a space
(every voxel of a mask) is cleaned as one linear operator with nilearn's
``NiftiMasker`` confounds, and written in its own format.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..confounds.alignment import AlignedConfounds, align_confounds
from ..confounds.scrubbing import interpolate_censored
from ..confounds.stacking import stack_confounds
from ..domains.base import SampledImage
from ..domains.registry import open_image
from ..domains.surface.grayordinates import Grayordinates
from ..engine import Reduction, extract
from ..errors import CleaningError, EmptyRegionWarning, NiimaskerError, Worded
from ..io.folder import DATA_DIR
from ..io.formats import FORMATS, Layout, OutputNames, sidecar_of
from ..io.writers import write_json, write_nifti, write_rows
from ..params.options import CleaningOptions
from ..params.vocabulary import target_dtype
from ..rois.base import check_voxels_left, coverage_rows
from ..rois.sets import RoiSet
from ..signal.clean import clean
from ..signal.cleaning import native_applies, require_t_r, series_options
from .connectomes import image_matrices, write_relmats
from .coverage import apply_min_coverage
from .fingerprint import OUTPUTS_KEY, image_fingerprint, output_digests
from .job import Job
from .outcome import Failure, ImageResult, Outcome
from .plan import RunPlan
from .sidecar import image_sidecar

__all__ = ["process_image", "safe_process"]

log = logging.getLogger("niimasker")


def process_image(plan: RunPlan, job: Job, output_dir: str | None) -> list[ImageResult]:
    """Extract, clean and (optionally) write the outputs of one image, per ROI set.

    Every ROI set is reduced from the same single pass over the image; each
    gets its own table, sidecar and coverage (``<stem><suffix>_...``); the
    sidecar records the set's own ``mask_img`` (:meth:`Job.recorded`).

    Raises
    ------
    NiimaskerError
        Any problem with this image's inputs.
    """
    started = time.perf_counter()
    options = job.options
    fingerprint = image_fingerprint(plan, job.settings)
    image = open_image(plan.image, plan.companions)  # a 3D image is one volume
    require_t_r(
        plan.t_r, options.cleaning.high_pass, options.cleaning.low_pass, plan.image
    )
    discard = options.confounds.discard_scans
    fixed = 0 if discard == "auto" else discard
    _check_series(plan, options.cleaning, image.n_volumes - fixed)
    # A fixed discard_scans needs nothing from the confounds table before the
    # stream: the table is then read after it, pandas imported while it runs.
    later = plan.confounds is not None and discard != "auto"
    confounds = None if later else _align(plan, job, image.n_volumes)
    reductions = [s.source.for_domain(image.domain) for s in job.sets]
    for roi_set, reduction in zip(job.sets, reductions):
        check_voxels_left(reduction, roi_set.source, plan.image, image.domain)
    extracted = extract(
        image,
        reductions,
        discard_scans=fixed if confounds is None else confounds.discard,
        smoothing_fwhm=options.extraction.smoothing_fwhm,
        nan_policy=options.extraction.nan_policy,
        import_meanwhile=(
            *_cleaning_imports(plan, job, confounds),
            *(("pandas",) if output_dir is None else ()),  # results as tables
        ),
        mean_volumes=plan.report_mean,
    )
    if confounds is None:
        confounds = _align(plan, job, image.n_volumes)
    results = [
        _set_result(
            plan, job, roi_set, reduction, signals, image, confounds, fingerprint
        )
        for roi_set, reduction, signals in zip(job.sets, reductions, extracted.signals)
    ]
    for roi_set, reduction, result, finite, used in zip(
        job.sets,
        reductions,
        results,
        extracted.finite_voxels,
        extracted.samples_used,
    ):
        coverage = _coverage(reduction, finite, options.extraction.nan_policy, used)
        # regions below min_coverage are n/a before the matrices are made
        coverage = apply_min_coverage(result, coverage, options.extraction.min_coverage)
        if options.connectivity.connectivity and roi_set.source.space is None:
            result.connectivity = image_matrices(result, options.connectivity)
        result.names = plan.names(roi_set.name, roi_set.suffix)
        if output_dir is not None:
            result.files = _write_outputs(
                Path(output_dir),
                result,
                result.names,
                reduction,
                coverage,
                roi_set.source,
                job.options.connectivity.connectivity_estimator,
            )
    volume_mean = None
    if extracted.volume_mean is not None:
        mean, count = extracted.volume_mean
        first = extracted.first_volume
        volume_mean = (mean, list(range(first, first + count)))
    for result in results:
        result.seconds = time.perf_counter() - started
        result.volume_mean = volume_mean
    return results


def _set_result(
    plan: RunPlan,
    job: Job,
    roi_set: RoiSet,
    reduction: Reduction,
    signals: np.ndarray,
    image: SampledImage,
    confounds: AlignedConfounds,
    fingerprint: str,
) -> ImageResult:
    """Clean one set's signals and describe them (the values, their sidecar)."""
    source = roi_set.source
    cleaned = _clean(
        signals, job.options.cleaning, plan, image, confounds, source.space
    )
    wanted = target_dtype(image.source_dtype, source.dtype)
    if wanted is None and source.dtype is not None:
        wanted = image.source_dtype
    if wanted is not None:
        cleaned = cleaned.astype(wanted)
    if confounds.interpolate:
        # Kept rows are the censored output; censored rows are interpolated.
        cleaned = interpolate_censored(cleaned, confounds.sample_mask, confounds.n_kept)
    for name in reduction.empty_columns:
        warnings.warn(
            EmptyRegionWarning(
                "Region {region} has no voxels in {file}; its column is n/a.",
                file=plan.image,
                region=name,
            ),
            stacklevel=3,
        )
    _warn_all_non_finite(plan.image, reduction, signals)
    return ImageResult(
        image=plan.image,
        stem=plan.names(roi_set.name, roi_set.suffix).file_stem,
        columns=source.columns(reduction),
        values=cleaned,
        volumes=[int(v) for v in confounds.volumes],
        t_r=plan.t_r,
        sidecar=image_sidecar(
            plan,
            job.recorded(roi_set),  # the set's own mask_img, as a run of it alone
            image.n_volumes,
            confounds,
            fingerprint,
            columns=source.describe_columns(reduction),
            output=source.describe_output(),
        ),
        atlas=roi_set.name if roi_set.suffix else None,
    )


def _warn_all_non_finite(path: str, reduction: Reduction, signals: np.ndarray) -> None:
    """Warn of regions with voxels that are non-finite in every volume (nan_policy='omit')."""
    if reduction.elementwise or signals.size == 0 or signals.dtype.kind != "f":
        return
    lost = np.isnan(signals).all(axis=0)
    empty = set(reduction.empty_columns)
    names = [str(c) for c, gone in zip(reduction.columns, lost) if gone]
    names = [n for n in names if n not in empty]
    if names:
        warnings.warn(
            EmptyRegionWarning(
                "{count} region(s) of {file} ({regions:text}) have no finite value "
                "in any volume (NaN or infinite wherever they lie); their columns "
                "are n/a.",
                file=path,
                count=len(names),
                regions=", ".join(names[:5]) + (", ..." if len(names) > 5 else ""),
                fix="Check the image (an all-NaN image is a failed preprocessing "
                "step), or mask those regions out.",
            ),
            stacklevel=3,
        )


def _clean(
    signals: np.ndarray,
    options: CleaningOptions,
    plan: RunPlan,
    image: SampledImage,
    confounds: AlignedConfounds,
    space: Any,
) -> np.ndarray:
    """Clean one set's signals: regions directly, a space's elements as ``NiftiMasker``."""
    if space is None:
        return clean(
            signals,
            options,
            t_r=plan.t_r,
            confounds=confounds.values,
            sample_mask=confounds.sample_mask,
        )
    whole = plan.image
    if options.high_variance_confounds and isinstance(image.domain, Grayordinates):
        # nilearn reads a surface run's every vertex; there is no file it reads
        whole = image.read_zeroed(np.arange(image.domain.n_samples), None, None)
    regressors = stack_confounds(
        whole,
        image.n_volumes,
        confounds.values,
        options.high_variance_confounds,
        confounds.discard,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="nilearn")
        return clean(
            signals,
            options,
            t_r=plan.t_r,
            confounds=regressors,
            sample_mask=confounds.sample_mask,
            many_columns=True,
            in_place=True,
        )


def _check_series(plan: RunPlan, options: CleaningOptions, n_volumes: int) -> None:
    """Refuse cleaning of a single volume (a 3D image) before anything is read."""
    if n_volumes > 1:
        return
    asked = series_options(
        detrend=options.detrend,
        standardize=options.standardize,
        high_pass=options.high_pass,
        low_pass=options.low_pass,
        confounds=plan.confounds is not None,
    )
    if asked:
        raise CleaningError(
            f"'{plan.image}' has 1 volume to extract (a 3D image, or a 4D one "
            "after 'discard_scans'), and "
            + ", ".join(f"'{name}'" for name in asked)
            + " need a timeseries of several volumes. Drop "
            + ("it" if len(asked) == 1 else "them")
            + " for single volumes (beta maps, VBM or mean images give one row each)."
        )


def _coverage(
    reduction: Reduction, low: Any, nan_policy: str, used: Any = None
) -> list:
    """Return the reduction's coverage rows, with the finite voxels for nan_policy='omit'.

    ``low`` is the smallest count of finite voxels of each region over the
    volumes (None: every voxel was finite in every volume). ``used``: for
    means over groups of samples, the samples with signal in the run, which
    replace the samples the region has on the image.
    """
    rows = reduction.coverage
    if used is not None:
        rows = coverage_rows(
            [row["region"] for row in rows],
            [row["voxels_in_roi"] for row in rows],
            used,
        )
    if nan_policy != "omit" or not rows:
        return rows
    return [
        {**row, "finite_voxels_min": row["voxels_used"] if low is None else int(n)}
        for row, n in zip(rows, low if low is not None else [None] * len(rows))
    ]


def _write_outputs(
    out: Path,
    result: ImageResult,
    names: OutputNames,
    reduction: Reduction,
    coverage: list,
    source: Any,
    estimator: str,
) -> list[str]:
    # The sidecar is written last: its presence, with the right fingerprint,
    # tells a later run that every other output of the image is complete.
    fmt = FORMATS[source.output_format]
    table = out / names.timeseries(fmt.name)
    layout = Layout(
        space=source.space,
        parcels=source.parcels if fmt.records_parcels else None,
        t_r=result.t_r,
        volumes=result.volumes,
    )
    files = fmt.write(table, result.values, result.columns, layout)
    if coverage:
        files.append(write_rows(out / names.coverage(), coverage))
    files += write_relmats(out, names, result.connectivity, result.columns, estimator)
    for name, img in reduction.images.items():
        if hasattr(img, "to_filename"):
            files.append(write_nifti(out / DATA_DIR / f"{name}.nii.gz", img))
        elif (
            img and isinstance(img, list) and isinstance(img[0], dict)
        ):  # a look-up table
            files.append(write_rows(out / DATA_DIR / f"{name}.tsv", img))
    # read back on resume: each output's digest recorded (BIDS sub-folders too)
    own = [Path(f) for f in files if Path(f).parent != out / DATA_DIR]
    result.sidecar = {**result.sidecar, OUTPUTS_KEY: output_digests(out, own)}
    files.append(write_json(sidecar_of(table), result.sidecar))
    return [str(f) for f in files]


def _align(plan: RunPlan, job: Job, n_volumes: int) -> AlignedConfounds:
    return align_confounds(
        plan.confounds,
        job.options.confounds,
        n_volumes,
        image=plan.image,
        spec=plan.spec,
    )


def _cleaning_imports(
    plan: RunPlan, job: Job, confounds: AlignedConfounds | None
) -> tuple:
    """Modules reading the confounds and cleaning will import, loaded while the image streams.

    ``confounds`` is None when the table is read after the stream: pandas is
    then imported meanwhile, and the cleaning's modules are guessed from the
    settings alone (a wrong guess only imports them after the stream).
    """
    cleaning = job.options.cleaning
    table = ("pandas",) if confounds is None else ()
    values = None if confounds is None else confounds.values
    if job.space is None and native_applies(
        t_r=plan.t_r,
        detrend=cleaning.detrend,
        standardize=cleaning.standardize,
        standardize_confounds=cleaning.standardize_confounds,
        high_pass=cleaning.high_pass,
        low_pass=cleaning.low_pass,
        confounds=values,
        sample_mask=None if confounds is None else confounds.sample_mask,
        clean_kwargs=None,
    ):
        # numpy only, and scipy.linalg to regress confounds
        regress = confounds is None or values is not None
        return (*table, "scipy.linalg") if regress else table
    return (*table, "nilearn.signal")


def safe_process(plan: RunPlan, job: Job, output_dir: str | None) -> Outcome:
    """Return :func:`process_image`'s result, or the image's failure (never raise).

    Warnings come once per image (nilearn's, e.g. a low-pass cut-off lowered
    to an image's Nyquist frequency, and ours about its confounds), so each
    is given again naming the image, once even where the image's cleaning
    gave it twice (the signal's and the confounds').
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _safe_process(plan, job, output_dir)
    seen: set[tuple[type, str]] = set()
    for warning in caught:
        key = (type(warning.message), str(warning.message))
        if key not in seen:
            seen.add(key)
            warnings.warn(_naming_image(warning.message, plan.image), stacklevel=2)
    return outcome


def _naming_image(message: Warning, image: str) -> Warning:
    """Return the warning with the image's path in front, unless it names the image."""
    if isinstance(message, Worded):
        if image in str(message):
            return message
        named = copy.copy(message)
        if message.parameter is None and message.file is None and not message.parts:
            named.template = _prefixed(message.template, f"In '{image}': ")
        else:  # a template: the path is a part, so braces in it stay as they are
            named.template = _prefixed(message.template, "In '{image:text}': ")
            named.parts = {**message.parts, "image": image}
        named.args = (str(named),)
        return named
    try:
        return type(message)(f"In '{image}': {message}")
    except Exception:  # a warning class with other arguments: leave it as it is
        return message


def _prefixed(template: Any, prefix: str) -> Any:
    if isinstance(template, Mapping):
        return {face: prefix + text for face, text in template.items()}
    return prefix + template


def _safe_process(plan: RunPlan, job: Job, output_dir: str | None) -> Outcome:
    started = time.perf_counter()
    try:
        return process_image(plan, job, output_dir)
    except NiimaskerError as exc:
        return Failure(
            plan.image, type(exc).__name__, str(exc), exc, time.perf_counter() - started
        )
    except Exception as exc:  # a bug: keep going, but report it with its type
        log.exception("Unexpected error while processing '%s'", plan.image)
        return Failure(
            plan.image,
            type(exc).__name__,
            f"{type(exc).__name__}: {exc}",
            exc,
            time.perf_counter() - started,
        )
