"""Reading back what a batch wrote: to resume it, and for ``read_timeseries``.

Every written timeseries is read through its format
(:data:`niimasker_core.io.formats.FORMATS`) with its JSON sidecar
(:func:`read_written`). A batch resumes an image whose outputs are complete
(the sidecar, written last, and the timeseries exist) and up to date (the
sidecar's ``Fingerprint`` equals the one the batch's settings and inputs
give, :mod:`niimasker_core.batch.fingerprint`): :func:`finished_outputs`.
Region tables are read back through their format; the outputs of every
voxel of a mask (a NIfTI image or ``.npy``) through the mask (float32, as
written); a surface run's every grayordinate (``.dtseries.nii``, GIFTI
pairs) is made again.
:func:`read_folder` reads every timeseries a folder's run record lists.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ..errors import ImageNotFoundError, UnusedOptionWarning
from ..io.formats import FORMATS, OutputNames, format_of, relmat_beside, sidecar_of
from ..params.settings import Settings
from .connectomes import planned_relmats, read_relmats
from .fingerprint import image_fingerprint, outputs_intact
from .outcome import ImageResult
from .plan import RunPlan
from .record import parameters_file
from .results import ExtractionResult, ImageTimeseries, matrix_frames, to_frame

__all__ = ["VOXEL_READERS", "finished_outputs", "read_folder", "read_written"]


def finished_outputs(
    plan: RunPlan,
    settings: Settings,
    output_dir: str,
    names: OutputNames,
    output_format: str = "tsv",
    atlas: str | None = None,
    space: Any = None,
) -> ImageResult | None:
    """Return the outputs of ``plan`` read back when complete and up to date, else None.

    The values are read from the table, as written (9 significant digits),
    or, for every voxel of a mask written as a NIfTI image or ``.npy``
    (``space``), from that file (float32, as written).

    Parameters
    ----------
    plan : RunPlan
        The image.
    settings : Settings
        The batch's settings.
    output_dir : str
        The output folder.
    names : OutputNames
        The names of the ROI set's outputs for this image.
    output_format : str
        How the set's timeseries were written.
    atlas : str or None
        The ROI set's name when there are several.
    space : nibabel.Nifti1Image or None
        The mask whose voxels are the columns (a voxel set), else None.

    Returns
    -------
    ImageResult or None
        The finished result (``skipped`` set), or None when it must be made.
    """
    read = FORMATS[output_format].read
    if read is None and (space is None or output_format not in VOXEL_READERS):
        return None  # not read back: made again
    out = Path(output_dir)
    table = out / names.timeseries(output_format)
    sidecar_file = sidecar_of(table)
    if not (table.is_file() and sidecar_file.is_file()):
        return None
    try:
        expect = image_fingerprint(plan, settings)
        if read is None:
            sidecar, columns, values = _read_voxels(table, output_format, space, expect)
        else:
            sidecar, columns, values = read_written(table, expect=expect)
    except (OSError, ValueError, EOFError):
        return None  # unreadable: made again
    if sidecar is None:
        return None  # made from other inputs or settings
    if not outputs_intact(out, sidecar):
        return None  # an output deleted or edited since: made again
    if (columns is not None and values.shape[1] != len(columns)) or values.shape[
        0
    ] != len(sidecar.get("OutputVolumes", [])):
        return None
    kinds = [k for k in settings.connectivity or () if k != "tangent"]
    matrices = read_relmats(out, names, kinds)
    if matrices is None:
        return None  # a matrix missing: made again
    files = [str(table)]
    coverage = out / names.coverage()
    if coverage.is_file():
        files.append(str(coverage))
    files += [str(out / n) for n in planned_relmats(names, kinds)]
    files.append(str(sidecar_file))
    return ImageResult(
        image=plan.image,
        stem=names.file_stem,
        columns=columns if columns is not None else [],
        values=values,
        volumes=[int(v) for v in sidecar["OutputVolumes"]],
        t_r=sidecar.get("RepetitionTime"),
        sidecar=sidecar,
        files=files,
        atlas=atlas,
        skipped=True,
        connectivity=matrices,
        names=names,
    )


def _read_voxels(
    table: Path, output_format: str, space: Any, expect: str
) -> tuple[dict[str, Any] | None, list[str] | None, np.ndarray]:
    """Read a voxel output back as ``(volumes, voxels)``, voxels in the mask's C order.

    The sidecar is read first: when its fingerprint is not ``expect``,
    nothing more is read and it is None.
    The columns' names are the caller's (None here).
    """
    sidecar = json.loads(sidecar_of(table).read_text(encoding="utf-8"))
    if sidecar.get("Fingerprint") != expect:
        return None, None, np.empty((0, 0))
    mask = np.asanyarray(space.dataobj).astype(bool)
    values = VOXEL_READERS[output_format](table, mask)
    if values.ndim != 2 or values.shape[1] != int(mask.sum()):
        raise ValueError(f"{table} does not hold the mask's voxels")
    return sidecar, None, values


def _voxels_of_image(path: Path, mask: np.ndarray) -> np.ndarray:
    data = np.asanyarray(nib.load(path).dataobj)
    if data.shape[:3] != mask.shape:
        raise ValueError(f"{path} is not on the mask's grid")
    data = data.reshape(*mask.shape, -1)
    return np.ascontiguousarray(data[mask].T)


def _voxels_of_npy(path: Path, mask: np.ndarray) -> np.ndarray:
    return np.load(path, allow_pickle=False)


#: How a voxel output (every voxel of a mask) is read back, by format.
VOXEL_READERS = {"nifti": _voxels_of_image, "npy": _voxels_of_npy}


def read_written(
    table: Path, expect: str | None = None
) -> tuple[dict[str, Any] | None, list[str], np.ndarray]:
    """Read a written timeseries and its JSON sidecar.

    Parameters
    ----------
    table : Path
        A ``<stem>_timeseries.<extension>`` file of a format read back.
    expect : str, optional
        The fingerprint the outputs must carry; when the sidecar's differs,
        nothing more is read and the sidecar is None.

    Returns
    -------
    sidecar : dict or None
        The sidecar (None when its fingerprint is not ``expect``).
    columns : list of str
        The columns' names.
    values : numpy.ndarray
        ``(volumes, columns)``, as written (9 significant digits for TSV).

    Raises
    ------
    OSError, ValueError
        If a file cannot be read or parsed.
    """
    sidecar = json.loads(sidecar_of(table).read_text(encoding="utf-8"))
    if expect is not None and sidecar.get("Fingerprint") != expect:
        return None, [], np.empty((0, 0))
    columns, values = format_of(table).read(table)
    return sidecar, columns, values


def read_folder(output_dir: str | Path) -> ExtractionResult:
    """Read back the timeseries a batch wrote into ``output_dir``.

    Every image's table of every ROI set listed in
    ``niimasker_data/parameters.json`` is read with its sidecar, through
    the output formats (:mod:`niimasker_core.io.formats`); values are as
    written (9 significant digits). A table that is missing, or in a
    format that is not read back (voxel images), is skipped with a warning.

    Parameters
    ----------
    output_dir : str or Path
        The folder.

    Returns
    -------
    ExtractionResult
        One item per image and ROI set, with no failures.

    Raises
    ------
    ImageNotFoundError
        If the folder holds no ``niimasker_data/parameters.json``.
    """
    folder = Path(output_dir)
    record_file = parameters_file(folder, shard=None)
    if not record_file.is_file():
        raise ImageNotFoundError(
            "{parameter} {file} holds no niimasker output: "
            "niimasker_data/parameters.json is missing.",
            fix="Give the folder the command or extract_timeseries() wrote.",
            parameter="output_dir",
            file=str(folder),
        )
    parameters = json.loads(record_file.read_text(encoding="utf-8"))
    roi = parameters.get("roi", {})
    several = "kind" not in roi  # several sets: described by name
    kinds = (parameters.get("parameters") or {}).get("connectivity") or []
    layout = (parameters.get("parameters") or {}).get("output_layout") or "flat"
    items = []
    for run in parameters.get("runs", []):
        names = run.get("outputs", [run["output"]])
        sets = list(roi) if several else [None] * len(names)
        for name, atlas in zip(names, sets):
            item = _read_item(folder / name, run["image"], atlas, kinds, layout)
            if item is not None:
                items.append(item)
    return ExtractionResult(
        timeseries=items, parameters=parameters, output_dir=str(folder)
    )


class _Beside:
    """The connectivity matrices written beside a timeseries table (``relmat(kind)``)."""

    def __init__(self, table: Path, layout: str) -> None:
        self.table, self.layout = table, layout

    def relmat(self, kind: str) -> str:
        return relmat_beside(self.table, kind, self.layout).name


def _read_item(
    table: Path, image: str, atlas: str | None, kinds: list[str], layout: str
) -> ImageTimeseries | None:
    """Read one written timeseries and its sidecar (None, with a warning, if it can't be)."""
    fmt = format_of(table)
    if fmt.read is None or not table.is_file():
        # a GIFTI pair's table name is no file: its two hemispheres are
        why = f"a {fmt.name} file, not read back" if fmt.read is None else "missing"
        warnings.warn(
            UnusedOptionWarning(
                "{file} is listed in parameters.json but {why:text}; skipped.",
                file=str(table),
                why=why,
            ),
            stacklevel=3,
        )
        return None
    sidecar, columns, values = read_written(table)
    sidecar_file = sidecar_of(table)
    volumes = [int(v) for v in sidecar.get("OutputVolumes", range(values.shape[0]))]
    stem = table.name[: -len(f"_timeseries.{fmt.extension}")]
    beside = _Beside(table, layout)
    present = [k for k in kinds if (table.parent / beside.relmat(k)).is_file()]
    matrices = read_relmats(table.parent, beside, present) or {}
    return ImageTimeseries(
        data=to_frame(values, columns, volumes),
        connectivity=matrix_frames(matrices, columns),
        file=image,
        stem=stem,
        atlas=atlas,
        sidecar=sidecar,
        t_r=sidecar.get("RepetitionTime"),
        t_r_source=sidecar.get("RepetitionTimeSource"),
        files=[str(table), str(sidecar_file)],
    )
