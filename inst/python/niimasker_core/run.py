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

from .cleaning import clean_signals, require_t_r
from .confounds import align_confounds
from .engine import extract
from .errors import NiimaskerError
from .inputs import RunPlan, plan_runs
from .outputs import write_json, write_nifti, write_npy, write_rows, write_table
from .rois import load_rois
from .rois.base import RoiSource
from .settings import Settings
from .sidecar import image_sidecar
from .version import __version__
from .volumes import read_image_info

__all__ = [
    "DATA_DIR",
    "BatchResult",
    "Failure",
    "ImageResult",
    "process_image",
    "run_batch",
]

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
    exception: BaseException


@dataclass
class BatchResult:
    """Every image's result or failure, plus the resolved parameters."""

    results: list[ImageResult]
    failures: list[Failure]
    parameters: dict[str, Any]
    mask_img: Any = None  # voxel extraction: the mask used (a nibabel image)


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
    if getattr(roi, "kind", None) == "voxels":
        return _process_voxels(plan, settings, roi, output_dir)
    started = time.perf_counter()
    info = read_image_info(plan.image)
    require_t_r(plan.t_r, settings.high_pass, settings.low_pass, plan.image)
    confounds = align_confounds(
        plan.confounds, settings, info.n_volumes, image=plan.image, spec=plan.spec
    )
    reduction = roi.for_grid(info.shape, info.affine)
    extracted = extract(
        info,
        [reduction],
        discard_scans=settings.discard_scans,
        smoothing_fwhm=settings.smoothing_fwhm,
        import_meanwhile=("nilearn.signal",),  # cleaning's import, hidden by the stream
    )
    cleaned = clean_signals(
        extracted.signals[0],
        t_r=plan.t_r,
        detrend=settings.detrend,
        standardize=settings.standardize_method,
        standardize_confounds=settings.standardize_confounds,
        high_pass=settings.high_pass,
        low_pass=settings.low_pass,
        confounds=confounds.values,
        sample_mask=confounds.sample_mask,
    )
    if confounds.interpolate:
        from .scrubbing import interpolate_censored

        # Kept rows are exactly the censored output; censored rows are interpolated.
        cleaned = interpolate_censored(cleaned, confounds.sample_mask, confounds.n_kept)
    for name in reduction.empty_columns:
        log.warning(
            "Region '%s' has no voxels in '%s'; its column is n/a.", name, plan.image
        )
    elapsed = time.perf_counter() - started
    result = ImageResult(
        image=plan.image,
        stem=plan.stem,
        columns=list(reduction.columns),
        values=np.asarray(cleaned, dtype=np.float64),
        volumes=[int(v) for v in confounds.volumes],
        t_r=plan.t_r,
        sidecar=image_sidecar(
            plan, settings, info.n_volumes, confounds, reduction, elapsed
        ),
    )
    if output_dir is not None:
        result.files = _write_image_outputs(Path(output_dir), result, reduction)
    return result


@dataclass
class _VoxelColumns:
    """What the sidecar reads of a reduction, for voxels (no per-voxel names)."""

    columns: list[str] = field(default_factory=list)
    empty_columns: list[str] = field(default_factory=list)


def _process_voxels(
    plan: RunPlan, settings: Settings, voxels: Any, output_dir: str | None
) -> ImageResult:
    """Every voxel of the batch's mask: :class:`~niimasker_core.NiftiMasker`'s code."""
    started = time.perf_counter()
    info = read_image_info(plan.image)
    require_t_r(plan.t_r, settings.high_pass, settings.low_pass, plan.image)
    confounds = align_confounds(
        plan.confounds, settings, info.n_volumes, image=plan.image, spec=plan.spec
    )
    cleaned = voxels.extract(
        plan.image,
        plan.t_r,
        confounds.values,
        confounds.sample_mask,
        settings.discard_scans,
    )
    if confounds.interpolate:
        from .scrubbing import interpolate_censored

        cleaned = interpolate_censored(cleaned, confounds.sample_mask, confounds.n_kept)
    elapsed = time.perf_counter() - started
    sidecar = image_sidecar(
        plan, settings, info.n_volumes, confounds, _VoxelColumns(), elapsed
    )
    sidecar.pop("Columns")
    sidecar.pop("EmptyRegions")
    sidecar.update(
        {
            "NumberOfVoxels": voxels.n_voxels,
            "MaskSource": voxels.mask_source,
            "MaskFile": f"{DATA_DIR}/mask_img.nii.gz",
            "OutputFormat": voxels.output_format,
        }
    )
    result = ImageResult(
        image=plan.image,
        stem=plan.stem,
        columns=voxels.columns(),
        values=cleaned,
        volumes=[int(v) for v in confounds.volumes],
        t_r=plan.t_r,
        sidecar=sidecar,
    )
    if output_dir is not None:
        out = Path(output_dir)
        target = out / f"{plan.stem}_timeseries.{_SUFFIX[voxels.output_format]}"
        if voxels.output_format == "nifti":
            from .maskers.voxel_batch import write_voxels_nifti

            data = write_voxels_nifti(target, voxels.mask_img, cleaned)
        elif voxels.output_format == "npy":
            data = write_npy(target, cleaned.astype(np.float32, copy=False))
        else:
            data = write_table(target, cleaned, result.columns)
        side = write_json(out / f"{plan.stem}_timeseries.json", sidecar)
        result.files = [str(data), str(side)]
    return result


_SUFFIX = {"nifti": "nii.gz", "npy": "npy", "tsv": "tsv"}


def _write_image_outputs(out: Path, result: ImageResult, reduction: Any) -> list[str]:
    files = [
        write_table(
            out / f"{result.stem}_timeseries.tsv", result.values, result.columns
        ),
        write_json(out / f"{result.stem}_timeseries.json", result.sidecar),
    ]
    if reduction.coverage:
        files.append(
            write_rows(out / f"{result.stem}_coverage.tsv", reduction.coverage)
        )
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
        return Failure(plan.image, type(exc).__name__, str(exc), exc)
    except Exception as exc:  # a bug: keep going, but report it with its type
        log.exception("Unexpected error while processing '%s'", plan.image)
        return Failure(
            plan.image, type(exc).__name__, f"{type(exc).__name__}: {exc}", exc
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
    if settings.roi_file is None and plans:
        from .maskers.voxel_batch import VoxelSource

        roi = VoxelSource(settings, plans[0].image)
    else:
        roi = load_rois(settings)
    suffix = _SUFFIX[roi.output_format] if roi.kind == "voxels" else "tsv"
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
                "output": f"{p.stem}_timeseries.{suffix}",
            }
            for p in plans
        ],
    }
    if output_dir is not None:
        write_json(Path(output_dir) / DATA_DIR / "parameters.json", parameters)
        if roi.kind == "voxels":
            write_nifti(Path(output_dir) / DATA_DIR / "mask_img.nii.gz", roi.mask_img)
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
    batch = BatchResult(results=results, failures=failures, parameters=parameters)
    if roi.kind == "voxels":
        batch.mask_img = roi.mask_img
    if output_dir is not None and settings.report and roi.kind != "voxels":
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
