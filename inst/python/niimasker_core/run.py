"""The batch: each image through extraction, confounds and cleaning, then outputs.

Images run serially or in parallel (joblib, ``n_jobs``). A failing image is
recorded and the others still finish; the caller decides what that means
(the command's exit code, an R warning).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cleaning import clean_signals, needs_t_r, series_options
from .confounds import ConfoundSelection
from .engine import extract
from .errors import CleaningError, InputFileError, NiimaskerError
from .inputs import RunPlan, plan_runs
from .outputs import write_json, write_nifti, write_rows, write_table
from .rois import load_rois
from .rois.base import RoiSource, check_voxels_left
from .settings import Settings
from .version import __version__
from .volumes import read_image_info

__all__ = ["BatchResult", "ImageResult", "run_batch"]

log = logging.getLogger("niimasker")

DATA_DIR = "niimasker_data"


@dataclass
class ImageResult:
    """The cleaned timeseries of one image and what was done to get them."""

    image: str
    stem: str
    columns: list[str]
    values: np.ndarray  # (n_output_volumes, n_columns) float64
    volumes: list[int]  # 0-based index in the image of each output row
    t_r: float | None
    sidecar: dict[str, Any]
    files: list[str] = field(default_factory=list)


@dataclass
class Failure:
    """An image that could not be processed."""

    image: str
    error_type: str
    message: str
    user_error: bool  # a NiimaskerError (bad input) rather than a bug
    exception: BaseException


@dataclass
class BatchResult:
    """Every image's result or failure, plus the resolved parameters."""

    results: list[ImageResult]
    failures: list[Failure]
    parameters: dict[str, Any]
    plans: list[RunPlan]


def _load_confounds(
    plan: RunPlan, settings: Settings, n_volumes: int
) -> ConfoundSelection | None:
    if plan.confounds is None:
        return None
    from .confounds import load_confounds_for_image

    return load_confounds_for_image(
        plan.confounds, settings, n_volumes, image=plan.image
    )


def process_image(
    plan: RunPlan,
    settings: Settings,
    roi: RoiSource,
    output_dir: str | None,
) -> ImageResult:
    """Extract, clean and (optionally) write the outputs of one image.

    Raises
    ------
    NiimaskerError
        Any problem with this image's inputs.
    """
    started = time.perf_counter()
    info = read_image_info(plan.image, need_4d=False)  # a 3D image is one volume
    fixed = 0 if settings.discard_scans == "auto" else settings.discard_scans
    if fixed >= info.n_volumes:
        raise InputFileError(
            f"'discard_scans' is {fixed} but '{plan.image}' has only "
            f"{info.n_volumes} volume{'s' if info.n_volumes > 1 else ''}. Lower "
            "'discard_scans'."
        )
    t_r, t_r_source = plan.t_r, plan.t_r_source
    if t_r is None and info.header_t_r is not None:
        t_r, t_r_source = info.header_t_r, "header"
    if needs_t_r(settings.high_pass, settings.low_pass) and t_r is None:
        raise CleaningError(
            f"'high_pass'/'low_pass' filtering needs the repetition time, and none was "
            f"found for '{plan.image}' (no 't_r', no JSON sidecar, no header TR). "
            "Give 't_r' in seconds, e.g. --t_r 2."
        )
    _check_series(plan, settings, info.n_volumes - fixed)
    selection = _load_confounds(plan, settings, info.n_volumes)
    first = fixed if selection is None else selection.discard
    reduction = roi.for_grid(info.shape, info.affine)
    check_voxels_left(reduction, roi, plan.image, info.shape, info.affine)
    extracted = extract(
        info,
        [reduction],
        discard_scans=first,
        smoothing_fwhm=settings.smoothing_fwhm,
        nan_policy=settings.nan_policy,
        import_meanwhile=("nilearn.signal",),  # cleaning's import, hidden by the stream
    )
    signals = extracted.signals[0]
    confounds = (
        None
        if selection is None or selection.values is None
        else selection.values[first:]
    )
    sample_mask = None
    if selection is not None and selection.sample_mask is not None:
        kept = np.asarray(selection.sample_mask)
        sample_mask = kept[kept >= first] - first
    interpolate = settings.output_volumes == "interpolated" and sample_mask is not None
    if sample_mask is not None and len(sample_mask) == info.n_volumes - first:
        sample_mask = None  # nothing censored after the discarded scans
        interpolate = False
    cleaned = clean_signals(
        signals,
        t_r=t_r,
        detrend=settings.detrend,
        standardize=settings.standardize_method,
        standardize_confounds=settings.standardize_confounds,
        high_pass=settings.high_pass,
        low_pass=settings.low_pass,
        confounds=confounds,
        sample_mask=sample_mask,
    )
    all_volumes = np.arange(first, info.n_volumes)
    volumes = (
        all_volumes if sample_mask is None or interpolate else all_volumes[sample_mask]
    )
    censored = (
        []
        if sample_mask is None
        else np.setdiff1d(all_volumes, all_volumes[sample_mask])
    )
    if interpolate:
        from .scrubbing import interpolate_censored

        # Kept rows are exactly the censored output; censored rows are interpolated.
        cleaned = interpolate_censored(cleaned, sample_mask, len(all_volumes))
    for name in reduction.empty_columns:
        log.warning(
            "Region '%s' has no voxels in '%s'; its column is n/a.", name, plan.image
        )
    sidecar = {
        "Sources": [plan.image],
        "RepetitionTime": t_r,
        "RepetitionTimeSource": t_r_source,
        "NumberOfVolumesInImage": info.n_volumes,
        "DiscardedScans": first,
        "OutputVolumes": [int(v) for v in volumes],
        "ConfoundsFile": plan.confounds,
        "ConfoundsPairedBy": plan.pairing,
        "ConfoundColumns": [] if selection is None else selection.columns,
        **({} if selection is None else selection.details),
        "CensoredVolumes": [int(v) for v in censored],
        "NumberOfCensoredVolumes": len(censored),
        "InterpolatedVolumes": [int(v) for v in censored] if interpolate else [],
        "EmptyRegions": list(reduction.empty_columns),
        "Columns": list(reduction.columns),
        "Cleaning": {
            "detrend": settings.detrend,
            "standardize": settings.standardize,
            "standardize_confounds": settings.standardize_confounds,
            "high_pass": settings.high_pass,
            "low_pass": settings.low_pass,
            "t_r": t_r,
            "smoothing_fwhm": settings.smoothing_fwhm,
            "strategy": settings.strategy,
            "discard_scans": settings.discard_scans,
            "nan_policy": settings.nan_policy,
            "regressors": None
            if settings.regressors is None
            else list(settings.regressors),
            "demean": settings.demean,
            "output_volumes": settings.output_volumes,
            **{
                name: getattr(settings, name)
                for name in (
                    "motion",
                    "wm_csf",
                    "global_signal",
                    "scrub",
                    "fd_threshold",
                    "std_dvars_threshold",
                    "compcor",
                    "n_compcor",
                    "ica_aroma",
                )
            },
        },
        "ElapsedSeconds": round(time.perf_counter() - started, 3),
        "niimasker_version": __version__,
    }
    result = ImageResult(
        image=plan.image,
        stem=plan.stem,
        columns=list(reduction.columns),
        values=np.asarray(cleaned, dtype=np.float64),
        volumes=[int(v) for v in volumes],
        t_r=t_r,
        sidecar=sidecar,
    )
    if output_dir is not None:
        coverage = _coverage(reduction, extracted.finite_voxels, settings.nan_policy)
        result.files = _write_image_outputs(
            Path(output_dir), result, reduction, coverage
        )
    return result


def _check_series(plan: RunPlan, settings: Settings, n_volumes: int) -> None:
    """Refuse cleaning of a single volume (a 3D image) before anything is read."""
    if n_volumes > 1:
        return
    asked = series_options(
        detrend=settings.detrend,
        standardize=settings.standardize_method,
        high_pass=settings.high_pass,
        low_pass=settings.low_pass,
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


def _coverage(reduction: Any, finite_voxels: list, nan_policy: str) -> list:
    """Return the reduction's coverage rows, with the finite voxels for nan_policy='omit'.

    ``finite_voxels`` is the smallest count of finite voxels of each region
    over the volumes (None: every voxel was finite in every volume).
    """
    rows = reduction.coverage
    if nan_policy != "omit" or not rows or not isinstance(rows[0], dict):
        return rows
    low = finite_voxels[0] if finite_voxels else None
    return [
        {**row, "finite_voxels_min": row["voxels_used"] if low is None else int(n)}
        for row, n in zip(rows, low if low is not None else [None] * len(rows))
    ]


def _write_image_outputs(
    out: Path, result: ImageResult, reduction: Any, coverage: list
) -> list[str]:
    files = [
        write_table(
            out / f"{result.stem}_timeseries.tsv", result.values, result.columns
        ),
        write_json(out / f"{result.stem}_timeseries.json", result.sidecar),
    ]
    if coverage and isinstance(coverage[0], dict):
        files.append(write_rows(out / f"{result.stem}_coverage.tsv", coverage))
    for name, img in reduction.images.items():
        if hasattr(img, "to_filename"):
            files.append(write_nifti(out / DATA_DIR / f"{name}.nii.gz", img))
        elif (
            img and isinstance(img, list) and isinstance(img[0], dict)
        ):  # a look-up table
            files.append(write_rows(out / DATA_DIR / f"{name}.tsv", img))
    return [str(f) for f in files]


def _safe_process(
    plan: RunPlan, settings: Settings, roi: RoiSource, output_dir: str | None
) -> ImageResult | Failure:
    try:
        return process_image(plan, settings, roi, output_dir)
    except NiimaskerError as exc:
        return Failure(plan.image, type(exc).__name__, str(exc), True, exc)
    except Exception as exc:  # a bug: keep going, but report it with its type
        log.exception("Unexpected error while processing '%s'", plan.image)
        return Failure(
            plan.image, type(exc).__name__, f"{type(exc).__name__}: {exc}", False, exc
        )


def run_batch(
    settings: Settings,
    output_dir: str | None = None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    command: str | None = None,
) -> BatchResult:
    """Process every input image and write outputs when ``output_dir`` is given.

    Parameters
    ----------
    settings : Settings
        Validated settings.
    output_dir : str or None
        Folder for the outputs; None writes nothing.
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    command : str, optional
        The command line, recorded in parameters.json.

    Returns
    -------
    BatchResult
        Results in input order, and failures.

    Raises
    ------
    NiimaskerError
        For problems found before any image is read (settings, ROIs, pairing).
    """
    plans = plan_runs(settings)
    roi = load_rois(settings)
    parameters = {
        "command": command,
        "niimasker_version": __version__,
        "package_versions": _package_versions(),
        "parameters": settings.to_dict(),
        "roi": roi.describe(),
        "runs": [
            {
                "image": p.image,
                "confounds": p.confounds,
                "t_r": p.t_r,
                "t_r_source": p.t_r_source,
                "paired_by": p.pairing,
                "output": f"{p.stem}_timeseries.tsv",
            }
            for p in plans
        ],
    }
    if output_dir is not None:
        write_json(Path(output_dir) / DATA_DIR / "parameters.json", parameters)
    outcomes: list[ImageResult | Failure] = []
    total = len(plans)
    if settings.n_jobs == 1 or total == 1:
        for done, plan in enumerate(plans, start=1):
            outcomes.append(_safe_process(plan, settings, roi, output_dir))
            if progress is not None:
                progress(done, total, plan.image)
    else:
        from joblib import Parallel, delayed
        from joblib.externals.loky import get_reusable_executor

        jobs = (delayed(_safe_process)(p, settings, roi, output_dir) for p in plans)
        try:
            # The context manager removes joblib's temporary folder on exit.
            with Parallel(n_jobs=settings.n_jobs, return_as="generator") as parallel:
                for done, outcome in enumerate(parallel(jobs), start=1):
                    outcomes.append(outcome)
                    if progress is not None:
                        progress(done, total, outcome.image)
        finally:
            # An embedding process (R via reticulate) never shuts Python down, so
            # idle loky workers would outlive the batch and leak semaphores.
            get_reusable_executor().shutdown(wait=True)
    results = [o for o in outcomes if isinstance(o, ImageResult)]
    failures = [o for o in outcomes if isinstance(o, Failure)]
    batch = BatchResult(
        results=results, failures=failures, parameters=parameters, plans=plans
    )
    if output_dir is not None and settings.report:
        from .report import write_report  # imported only when a report is written

        write_report(batch, roi, output_dir)  # never raises: problems are warnings
    return batch


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("nilearn", "nibabel", "numpy", "scipy", "pandas", "isal"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
