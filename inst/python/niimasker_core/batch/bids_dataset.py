"""``output_layout='bids'``: the files that make the output folder a BIDS derivative dataset.

Each image's outputs are named by :class:`~niimasker_core.io.formats.OutputNames`;
here are the batch's own files: ``dataset_description.json``
(``DatasetType: derivative``, ``GeneratedBy`` with niimasker's version and
the command) and each ROI set's atlas, copied as XCP-D does to
``atlases/atlas-<set>/atlas-<set>_dseg.<extension>`` (``_probseg`` for maps,
``_coordinates.tsv`` for spheres' centres) with its regions in
``atlas-<set>_dseg.tsv`` (``index``, ``name``). Their names are known from
the settings before anything is read, so the safety checks and the run
record list them like every other output.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nibabel as nib
from nibabel.filebasedimages import ImageFileError

from ..io.writers import atomic_path, write_json, write_rows
from ..params.options import RunOptions
from ..params.settings import Settings
from ..rois.registry import is_query
from ..rois.sets import RoiSet, split_sets
from ..version import __version__

__all__ = ["DESCRIPTION", "atlas_names", "dataset_names", "write_dataset_files"]

#: The dataset's description file, at the root of the output folder.
DESCRIPTION = "dataset_description.json"

#: BIDS version the names follow.
_BIDS_VERSION = "1.10.0"

_SURFACE_SUFFIXES = {
    ".dlabel.nii": "dseg",
    ".label.gii": "dseg",
    ".annot": "dseg",
    ".dscalar.nii": "probseg",
    ".func.gii": "probseg",
    ".shape.gii": "probseg",
}


def atlas_names(set_name: str, roi_file: str) -> tuple[str | None, str]:
    """Return the names of a ROI set's atlas copy and its regions table.

    Parameters
    ----------
    set_name : str
        The ROI set's name.
    roi_file : str
        Its ``roi_file``.

    Returns
    -------
    copy : str or None
        ``atlases/atlas-<set>/atlas-<set>_<suffix><extension>``; None for a
        ``nilearn:`` query (no file of the user's to copy).
    table : str
        ``atlases/atlas-<set>/atlas-<set>_<suffix>.tsv``.
    """
    folder = f"atlases/atlas-{set_name}/atlas-{set_name}"
    lower = roi_file.lower()
    if is_query(roi_file):
        return None, f"{folder}_dseg.tsv"
    if lower.endswith((".tsv", ".csv")):  # spheres' centres
        return f"{folder}_coordinates{Path(lower).suffix}", f"{folder}_spheres.tsv"
    for ending, suffix in _SURFACE_SUFFIXES.items():
        if lower.endswith(ending):
            return f"{folder}_{suffix}{ending}", f"{folder}_{suffix}.tsv"
    extension = ".nii.gz" if lower.endswith(".gz") else Path(lower).suffix
    suffix = "probseg" if _volumes(roi_file) > 1 else "dseg"
    return f"{folder}_{suffix}{extension}", f"{folder}_{suffix}.tsv"


def _volumes(path: str) -> int:
    """Return the volumes of an image from its header (1 when it cannot be read here).

    A file that is missing or unreadable is named by the ROI set's loading,
    which follows, with the fix; its name here does not matter.
    """
    try:
        shape = nib.load(path).shape
    except (OSError, ImageFileError):
        return 1
    return int(shape[3]) if len(shape) == 4 else 1


def dataset_names(settings: Settings) -> list[str]:
    """Return the batch's own files of the BIDS layout (none for the flat one)."""
    if settings.output_layout != "bids":
        return []
    names = [DESCRIPTION]
    for set_name, own in split_sets(RunOptions.from_settings(settings).rois):
        copy, table = atlas_names(set_name, own.roi_file)
        names += [name for name in (copy, table) if name is not None]
    return names


def write_dataset_files(
    output_dir: str | Path, settings: Settings, sets: list[RoiSet], command: str | None
) -> list[str]:
    """Write ``dataset_description.json`` and each set's atlas copy and regions table.

    Parameters
    ----------
    output_dir : str or Path
        The output folder.
    settings : Settings
        The batch's settings (nothing is written for the flat layout).
    sets : list of RoiSet
        The batch's ROI sets.
    command : str or None
        The command line (None: the Python or R API).

    Returns
    -------
    list of str
        The files written, relative to ``output_dir``.
    """
    if settings.output_layout != "bids":
        return []
    out = Path(output_dir)
    write_json(out / DESCRIPTION, _description(command))
    written = [DESCRIPTION]
    for roi_set in sets:
        copy, table = atlas_names(roi_set.name, roi_set.options.roi_file)
        if copy is not None:
            with atomic_path(out / copy) as tmp:
                shutil.copyfile(roi_set.options.roi_file, tmp)
            written.append(copy)
        if table != copy:
            write_rows(out / table, _regions(roi_set))
            written.append(table)
    return written


def _description(command: str | None) -> dict[str, Any]:
    how = command if command is not None else "extract_timeseries() (Python or R)"
    return {
        "Name": "niimasker timeseries",
        "BIDSVersion": _BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": "niimasker",
                "Version": __version__,
                "Description": f"Command: {how}",
            }
        ],
    }


def _regions(roi_set: RoiSet) -> list[dict[str, Any]]:
    regions = roi_set.source.describe().get("regions", [])
    return [
        {"index": region.get("index", k + 1), "name": region.get("name", k + 1)}
        for k, region in enumerate(regions)
    ]
