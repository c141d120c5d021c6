"""One image: extraction, confounds and cleaning, then its outputs (or a failure).

:func:`process_image` is the unit of work of a batch: wherever the batch
runs (serial, joblib workers, a Dask cluster, one shard of a SLURM array),
each image goes through this same function, so every way of running writes
the same bytes. :func:`finished_outputs` reads back an image whose outputs
are complete and carry the expected fingerprint, so that a batch can skip it.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..confounds.selection import align_confounds
from ..domains.volume.nifti import read_image_info
from ..engine import extract
from ..errors import CleaningError, EmptyRegionWarning, NiimaskerError
from ..io.writers import write_json, write_nifti, write_npy, write_rows, write_table
from ..params.settings import Settings
from ..rois import RoiSet
from ..rois.base import RoiSource, check_voxels_left
from ..signal.cleaning import clean_signals, native_applies, require_t_r, series_options
from .fingerprint import image_fingerprint
from .plan import RunPlan
from .sidecar import image_sidecar

__all__ = [
    "DATA_DIR",
    "VOXEL_MASK",
    "Failure",
    "ImageResult",
    "finished_outputs",
    "process_image",
    "safe_process",
    "voxel_extension",
]

log = logging.getLogger("niimasker")

#: The folder, inside the output folder, of run records and derived images.
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
    seconds: float = 0.0  # time spent on the image (0 when skipped)
    atlas: str | None = None  # the ROI set's name when there are several
    skipped: bool = False  # outputs were already complete: read back, not redone


@dataclass
class Failure:
    """An image that could not be processed."""

    image: str
    error_type: str
    message: str
    exception: BaseException
    seconds: float = 0.0


def process_image(
    plan: RunPlan,
    settings: Settings,
    rois: Sequence[RoiSet] | RoiSource,
    output_dir: str | None,
) -> list[ImageResult]:
    """Extract, clean and (optionally) write the outputs of one image, per ROI set.

    Every ROI set is reduced from the same single pass over the image; each
    gets its own table, sidecar and coverage (``<stem><suffix>_...``); the
    sidecar records the set's own ``mask_img`` (:attr:`RoiSet.settings`).

    Raises
    ------
    NiimaskerError
        Any problem with this image's inputs.
    """
    if not isinstance(rois, (list, tuple)):
        rois = [RoiSet("rois", rois, "")]
    if getattr(rois[0].source, "kind", None) == "voxels":
        return [_process_voxels(plan, settings, rois[0].source, output_dir)]
    started = time.perf_counter()
    fingerprint = image_fingerprint(plan, settings)
    info = read_image_info(plan.image, need_4d=False)  # a 3D image is one volume
    require_t_r(plan.t_r, settings.high_pass, settings.low_pass, plan.image)
    fixed = 0 if settings.discard_scans == "auto" else settings.discard_scans
    _check_series(plan, settings, info.n_volumes - fixed)
    confounds = align_confounds(
        plan.confounds, settings, info.n_volumes, image=plan.image, spec=plan.spec
    )
    reductions = [roi.source.for_grid(info.shape, info.affine) for roi in rois]
    for roi, reduction in zip(rois, reductions):
        check_voxels_left(reduction, roi.source, plan.image, info.shape, info.affine)
    extracted = extract(
        info,
        reductions,
        discard_scans=confounds.discard,
        smoothing_fwhm=settings.smoothing_fwhm,
        nan_policy=settings.nan_policy,
        import_meanwhile=_cleaning_imports(plan, settings, confounds),
    )
    results = []
    for roi, reduction, signals, finite in zip(
        rois, reductions, extracted.signals, extracted.finite_voxels
    ):
        cleaned = clean_signals(signals, **_cleaning(plan, settings, confounds))
        if confounds.interpolate:
            from ..confounds.scrubbing import interpolate_censored

            # Kept rows are the censored output; censored rows are interpolated.
            cleaned = interpolate_censored(
                cleaned, confounds.sample_mask, confounds.n_kept
            )
        for name in reduction.empty_columns:
            warnings.warn(
                EmptyRegionWarning(
                    "Region {region} has no voxels in {file}; its column is n/a.",
                    file=plan.image,
                    region=name,
                ),
                stacklevel=2,
            )
        result = ImageResult(
            image=plan.image,
            stem=plan.stem + roi.suffix,
            columns=list(reduction.columns),
            values=np.asarray(cleaned, dtype=np.float64),
            volumes=[int(v) for v in confounds.volumes],
            t_r=plan.t_r,
            sidecar=image_sidecar(  # the set's own mask_img, as a run of it alone
                plan,
                roi.settings or settings,
                info.n_volumes,
                confounds,
                reduction,
                fingerprint,
            ),
            atlas=roi.name if roi.suffix else None,
        )
        if output_dir is not None:
            coverage = _coverage(reduction, finite, settings.nan_policy)
            result.files = _write_image_outputs(
                Path(output_dir), result, reduction, coverage
            )
        results.append(result)
    for result in results:
        result.seconds = time.perf_counter() - started
    return results


#: The voxel mask, written once per batch in the data folder.
VOXEL_MASK = "mask_img.nii.gz"
_VOXEL_EXTENSIONS = {"nifti": "nii.gz", "npy": "npy", "tsv": "tsv"}


def voxel_extension(source: Any) -> str:
    """Return the timeseries file extension of a ROI source (``tsv`` but for voxels)."""
    if getattr(source, "kind", None) != "voxels":
        return "tsv"
    return _VOXEL_EXTENSIONS[source.output_format]


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
    fingerprint = image_fingerprint(plan, settings)
    info = read_image_info(plan.image, need_4d=False)
    require_t_r(plan.t_r, settings.high_pass, settings.low_pass, plan.image)
    fixed = 0 if settings.discard_scans == "auto" else settings.discard_scans
    _check_series(plan, settings, info.n_volumes - fixed)
    confounds = align_confounds(
        plan.confounds, settings, info.n_volumes, image=plan.image, spec=plan.spec
    )
    cleaned = voxels.extract(
        plan.image,
        plan.t_r,
        confounds.values,
        confounds.sample_mask,
        confounds.discard,
    )
    if confounds.interpolate:
        from ..confounds.scrubbing import interpolate_censored

        cleaned = interpolate_censored(cleaned, confounds.sample_mask, confounds.n_kept)
    sidecar = image_sidecar(
        plan, settings, info.n_volumes, confounds, _VoxelColumns(), fingerprint
    )
    sidecar.pop("Columns")
    sidecar.pop("EmptyRegions")
    sidecar.update(
        {
            "NumberOfVoxels": voxels.n_voxels,
            "MaskSource": voxels.mask_source,
            "MaskFile": f"{DATA_DIR}/{VOXEL_MASK}",
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
        target = out / f"{plan.stem}_timeseries.{voxel_extension(voxels)}"
        if voxels.output_format == "nifti":
            from ..maskers.voxel_batch import write_voxels_nifti

            data = write_voxels_nifti(target, voxels.mask_img, cleaned)
        elif voxels.output_format == "npy":
            data = write_npy(target, cleaned.astype(np.float32, copy=False))
        else:
            data = write_table(target, cleaned, result.columns)
        side = write_json(out / f"{plan.stem}_timeseries.json", sidecar)  # last
        result.files = [str(data), str(side)]
    result.seconds = time.perf_counter() - started
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


def _coverage(reduction: Any, low: Any, nan_policy: str) -> list:
    """Return the reduction's coverage rows, with the finite voxels for nan_policy='omit'.

    ``low`` is the smallest count of finite voxels of each region over the
    volumes (None: every voxel was finite in every volume).
    """
    rows = reduction.coverage
    if nan_policy != "omit" or not rows:
        return rows
    return [
        {**row, "finite_voxels_min": row["voxels_used"] if low is None else int(n)}
        for row, n in zip(rows, low if low is not None else [None] * len(rows))
    ]


def _write_image_outputs(
    out: Path, result: ImageResult, reduction: Any, coverage: list
) -> list[str]:
    # The sidecar is written last: its presence, with the right fingerprint,
    # tells a later run that every other output of the image is complete.
    files = [
        write_table(
            out / f"{result.stem}_timeseries.tsv", result.values, result.columns
        )
    ]
    if coverage:
        files.append(write_rows(out / f"{result.stem}_coverage.tsv", coverage))
    for name, img in reduction.images.items():
        if hasattr(img, "to_filename"):
            files.append(write_nifti(out / DATA_DIR / f"{name}.nii.gz", img))
        elif (
            img and isinstance(img, list) and isinstance(img[0], dict)
        ):  # a look-up table
            files.append(write_rows(out / DATA_DIR / f"{name}.tsv", img))
    files.append(write_json(out / f"{result.stem}_timeseries.json", result.sidecar))
    return [str(f) for f in files]


def _cleaning(plan: Any, settings: Settings, confounds: Any) -> dict:
    """Return the keyword arguments of :func:`clean_signals` for this image."""
    return {
        "t_r": plan.t_r,
        "detrend": settings.detrend,
        "standardize": settings.standardize_method,
        "standardize_confounds": settings.standardize_confounds,
        "high_pass": settings.high_pass,
        "low_pass": settings.low_pass,
        "confounds": confounds.values,
        "sample_mask": confounds.sample_mask,
    }


def _cleaning_imports(plan: Any, settings: Settings, confounds: Any) -> tuple:
    """Modules cleaning will import, loaded while the image streams (hidden)."""
    if native_applies(**_cleaning(plan, settings, confounds), clean_kwargs=None):
        return ()  # numpy and scipy.linalg only
    return ("nilearn.signal",)


def safe_process(
    plan: RunPlan,
    settings: Settings,
    roi: Sequence[RoiSet] | RoiSource,
    output_dir: str | None,
) -> list[ImageResult] | Failure:
    """Return :func:`process_image`'s result, or the image's failure (never raise)."""
    started = time.perf_counter()
    try:
        return process_image(plan, settings, roi, output_dir)
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


def finished_outputs(
    plan: RunPlan, settings: Settings, output_dir: str, suffix: str = ""
) -> ImageResult | None:
    """Return the outputs of ``plan`` read back when complete and up to date, else None.

    They are complete when the JSON sidecar (written last) and the timeseries
    table exist, and up to date when the sidecar's ``Fingerprint`` equals the
    one these settings and inputs give. The values are read from the table
    (as written: 9 significant digits).

    Parameters
    ----------
    plan : RunPlan
        The image.
    settings : Settings
        The batch's settings.
    output_dir : str
        The output folder.
    suffix : str
        The ROI set's part of the output names (empty with one set).

    Returns
    -------
    ImageResult or None
        The finished result (``skipped`` set), or None when it must be made.
    """
    out = Path(output_dir)
    stem = plan.stem + suffix
    table = out / f"{stem}_timeseries.tsv"
    sidecar_file = out / f"{stem}_timeseries.json"
    if not (table.is_file() and sidecar_file.is_file()):
        return None
    try:
        sidecar = json.loads(sidecar_file.read_text())
        if sidecar.get("Fingerprint") != image_fingerprint(plan, settings):
            return None
        with open(table) as handle:
            columns = handle.readline().rstrip("\n").split("\t")
        import pandas as pd  # the C parser: voxel tables have millions of cells

        values = pd.read_csv(
            table, sep="\t", na_values=["n/a"], keep_default_na=False,
            dtype=np.float64, engine="c",
        ).to_numpy()  # fmt: skip
    except (OSError, ValueError):
        return None  # unreadable: made again
    if values.shape[1] != len(columns) or values.shape[0] != len(
        sidecar.get("OutputVolumes", [])
    ):
        return None
    files = [str(table)]
    coverage = out / f"{stem}_coverage.tsv"
    if coverage.is_file():
        files.append(str(coverage))
    files.append(str(sidecar_file))
    return ImageResult(
        image=plan.image,
        stem=stem,
        columns=columns,
        values=values,
        volumes=[int(v) for v in sidecar["OutputVolumes"]],
        t_r=sidecar.get("RepetitionTime"),
        sidecar=sidecar,
        files=files,
        atlas=suffix[len("_atlas-") :] or None,
        skipped=True,
    )
