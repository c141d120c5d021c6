"""The run record ``niimasker_data/parameters.json``: what was asked, planned and done.

Written as ``running`` before the first image (the command, every resolved
parameter, each ROI set, each image's confounds, TR and output) and again at
the end with each image's outcome: written, skipped or failed with the
reason. A sharded run keeps its own record.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..io.folder import DATA_DIR
from ..io.formats import FORMATS, sidecar_of
from ..params.options import RunOptions
from ..params.settings import Settings
from ..params.vocabulary import default_output_format
from ..rois.grayordinates import written_format
from ..rois.sets import RoiSet, split_sets
from ..rois.surface_labels import region_format
from ..version import __version__
from .connectomes import planned_relmats
from .job import Job
from .outcome import Failure, Outcome
from .plan import RunPlan

__all__ = [
    "image_outputs",
    "parameters_file",
    "record_outcome",
    "record_status",
    "run_record",
]


def parameters_file(output_dir: str | Path, shard: str | None) -> Path:
    """Return the path of the run record (one per shard when sharded)."""
    name = "parameters.json"
    if shard is not None:
        index, count = shard.split("/")
        name = f"parameters_shard-{index}-of-{count}.json"
    return Path(output_dir) / DATA_DIR / name


def image_outputs(settings: Settings, plan: RunPlan) -> list[str]:
    """Return the files the batch writes for one image, relative to the output folder.

    Each ROI set's timeseries, its sidecar and (for region sets) its
    coverage table, named from the settings alone, before anything is read.
    Images the ROI kinds derive per image (in ``niimasker_data``) are added
    to the record when written.
    """
    sets = split_sets(RunOptions.from_settings(settings).rois) or [("rois", None)]
    suffixes = [""] if len(sets) == 1 else [f"_atlas-{name}" for name, _ in sets]
    voxels = settings.roi_file is None  # every voxel of a mask
    names = []
    for (set_name, own), suffix in zip(sets, suffixes):
        outputs = plan.names(set_name, suffix)
        if voxels:
            output_format = written_format(
                plan.image, default_output_format(settings.output_format, voxels=True)
            )
        else:
            output_format = region_format(own.roi_file, settings.output_format)
        fmt = FORMATS[output_format]
        table = outputs.timeseries(output_format)
        names += [*fmt.file_names(table), str(sidecar_of(table))]
        if not voxels:
            names.append(outputs.coverage())
            names += planned_relmats(outputs, settings.connectivity or ())
    return names


def run_record(job: Job, plans: list[RunPlan], command: str | None) -> dict[str, Any]:
    """Return the record of a batch about to run: every image ``planned``.

    Each image's planned outputs are listed (``files``) before any is
    written, so that a later run knows them as niimasker's even when this
    one is killed half-way.
    """
    sets = job.sets
    several = len(sets) > 1
    first = sets[0]

    def outputs(plan: RunPlan) -> dict[str, Any]:
        names = [
            plan.names(s.name, s.suffix).timeseries(s.source.output_format)
            for s in sets
        ]
        return {"output": names[0], **({"outputs": names} if several else {})}

    return {
        "command": command,
        "niimasker_version": __version__,
        "package_versions": _package_versions(),
        "status": "running",
        "parameters": job.settings.to_dict(),
        "roi": {s.name: _describe(job, s) for s in sets}
        if several
        else _describe(job, first),
        "runs": [
            {
                "image": p.image,
                "confounds": p.confounds,
                "t_r": p.t_r,
                "t_r_source": p.t_r_source,
                "paired_by": p.pairing,
                **outputs(p),
                "status": "planned",
                "files": image_outputs(job.settings, p),
            }
            for p in plans
        ],
    }


def _describe(job: Job, roi_set: RoiSet) -> dict[str, Any]:
    """Return a set's description with its own ``labels`` and ``mask_img``, as given."""
    described = roi_set.source.describe()
    if roi_set.options is not None:
        own = job.own_settings(roi_set).to_dict()
        described.update(labels=own["labels"], mask_img=own["mask_img"])
    return described


def record_outcome(
    run: dict[str, Any], outcome: Outcome, output_dir: str | None
) -> None:
    """Mark one run (an entry of the record's ``runs``) written, skipped or failed.

    Called as each image finishes, so that the batch's end holds no image's
    outcome: the files its outputs were written to join its planned ones.
    """
    if output_dir is not None and not isinstance(outcome, Failure):
        written = [os.path.relpath(f, output_dir) for r in outcome for f in r.files]
        run["files"] = list(dict.fromkeys(run["files"] + written))
    if isinstance(outcome, Failure):
        run.update(status="failed", error=f"{outcome.error_type}: {outcome.message}")
        run["seconds"] = round(outcome.seconds, 3)
    else:
        run["status"] = "skipped" if all(r.skipped for r in outcome) else "written"
        run["seconds"] = round(max(r.seconds for r in outcome), 3)


def record_status(parameters: dict[str, Any], n_failed: int) -> None:
    """Set the record's ``status``: complete, or how many images failed."""
    parameters["status"] = "complete" if not n_failed else f"{n_failed} image(s) failed"


def _package_versions() -> dict[str, str]:
    out = {}
    for name in ("nilearn", "nibabel", "numpy", "scipy", "pandas", "isal"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
