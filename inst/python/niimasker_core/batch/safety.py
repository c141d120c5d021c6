"""What a batch may write: never over an input, never through a link, never over others' files.

Before any image is read, :func:`check_outputs` lists every file the batch
will write in its output folder and refuses, with one error naming the file
and the fix:

* an output that is an input (the same file, compared by device and inode,
  so hard and symbolic links count), which the batch would overwrite and then
  read;
* an output, or the ``niimasker_data`` folder, that is a symbolic link: it
  would send the outputs outside the output folder, onto someone else's file;
* an existing file that no niimasker run recorded as its output (in a run
  record, ``niimasker_data/parameters*.json``): another program's file, kept
  unless ``overwrite`` is given.

The folders refused outright (the file-system root, the user's home, system
folders) are :func:`niimasker_core.io.folder.check_output_dir`'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import OutputError
from ..io.folder import DATA_DIR
from ..io.formats import FORMATS, sidecar_of
from ..params.settings import Settings
from ..rois.voxels import MASK_FILE
from .bids_dataset import dataset_names
from .fingerprint import input_files_of
from .plan import RunPlan
from .record import image_outputs, parameters_file
from .report import REPORT_NAME

__all__ = ["check_outputs", "planned_outputs", "recorded_files"]


def planned_outputs(settings: Settings, plans: Sequence[RunPlan]) -> list[str]:
    """Return every file the batch will write, relative to its output folder.

    Known from the settings and the plan, before any file is read: each
    image's outputs (:func:`~niimasker_core.batch.record.image_outputs`), the
    run record, the report, and without ``roi_file`` the mask. Images the ROI
    kinds derive per image (a spheres image, a look-up table) go to
    ``niimasker_data`` as they are made.
    """
    names = [name for plan in plans for name in image_outputs(settings, plan)]
    names += dataset_names(settings)
    names.append(f"{DATA_DIR}/{parameters_file('.', settings.shard).name}")
    if settings.roi_file is None:  # every voxel of a mask
        names.append(MASK_FILE)
    elif settings.report and settings.shard is None:
        names.append(REPORT_NAME)
    return names


def recorded_files(output_dir: str | Path) -> set[str]:
    """Return the files earlier niimasker runs recorded writing in ``output_dir``.

    Each run record (``niimasker_data/parameters*.json``) lists, per image,
    the files written (``files``); a record from before they were listed
    counts its images' timeseries, sidecars and coverage tables. The records
    themselves and the report they describe are niimasker's too.
    """
    out = Path(output_dir)
    recorded: set[str] = set()
    for record_file in sorted((out / DATA_DIR).glob("parameters*.json")):
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or "niimasker_version" not in record:
            continue
        recorded |= {f"{DATA_DIR}/{record_file.name}", REPORT_NAME}
        recorded |= set(record.get("files", []))
        for run in record.get("runs", []):
            if "files" in run:
                recorded |= set(run["files"])
                continue
            for table in run.get("outputs", [run.get("output")]):  # older records
                if table and any(table.endswith(f.extension) for f in FORMATS.values()):
                    stem = table[: table.index("_timeseries.")]
                    recorded |= {table, sidecar_of(table).name, f"{stem}_coverage.tsv"}
    return recorded


def check_outputs(
    output_dir: str | Path, settings: Settings, plans: Sequence[RunPlan]
) -> None:
    """Refuse a batch whose outputs would replace inputs, follow links or others' files.

    Parameters
    ----------
    output_dir : str or Path
        The output folder.
    settings : Settings
        The batch's settings (``overwrite``: files no niimasker run recorded
        may be replaced).
    plans : sequence of RunPlan
        Its images.

    Raises
    ------
    OutputError
        Naming the file, what is wrong and the fix.
    """
    out = Path(output_dir)
    names = planned_outputs(settings, plans)
    _refuse_links(out, names)
    existing = [out / name for name in names if (out / name).is_file()]
    _refuse_inputs(existing, _inputs(settings, plans))
    if not settings.overwrite:
        recorded = recorded_files(out)
        foreign = [p for p in existing if str(p.relative_to(out)) not in recorded]
        if foreign:
            raise OutputError(
                "{file} already exists and no niimasker run recorded it as its output"
                "{others:text}; niimasker replaces only the files it wrote.",
                file=str(foreign[0]),
                others=_others(foreign),
                fix={
                    "python": "Move it away, choose another output_dir, or give "
                    "overwrite=True to replace it.",
                    "command": "Move it away, choose another output folder, or give "
                    "--overwrite to replace it.",
                    "r": "Move it away, choose another `output_dir`, or set "
                    "`overwrite = TRUE` to replace it.",
                },
            )


def _others(paths: Sequence[Path]) -> str:
    if len(paths) < 2:
        return ""
    shown = ", ".join(p.name for p in paths[1:4])
    more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
    return f" (as do {shown}{more})"


def _refuse_links(out: Path, names: Iterable[str]) -> None:
    """Refuse symbolic links among the entries the batch writes inside ``out``."""
    entries = {out / DATA_DIR} | {out / name for name in names}
    for entry in sorted(entries):
        if entry.is_symlink():
            raise OutputError(
                "{file} is a symbolic link (to {target}): writing there would "
                "replace a file outside the output folder, and niimasker writes "
                "only inside it, through no link it did not make.",
                file=str(entry),
                target=os.readlink(entry),
                fix="Remove the link, or choose another output folder.",
            )


def _inputs(settings: Settings, plans: Sequence[RunPlan]) -> dict[tuple[int, int], str]:
    """Return every input file of the batch by (device, inode)."""
    inputs = {}
    for plan in plans:
        for path in input_files_of(plan, settings):
            stat = os.stat(path)
            inputs.setdefault((stat.st_dev, stat.st_ino), path)
    return inputs


def _refuse_inputs(
    existing: Sequence[Path], inputs: dict[tuple[int, int], str]
) -> None:
    """Refuse an output that is an input (the same file, whatever its name)."""
    for path in existing:
        stat = os.stat(path)
        source = inputs.get((stat.st_dev, stat.st_ino))
        if source is not None:
            raise OutputError(
                "{file} is an output of this batch and also its input {input}: it "
                "would be overwritten, then read as an input.",
                file=str(path),
                input=source,
                fix="Choose an output folder that holds none of the inputs, or "
                "rename the input.",
            )
