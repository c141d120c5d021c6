"""Surface outputs: timeseries written as CIFTI-2 or GIFTI files, as Workbench reads them.

Every grayordinate of a surface run is written as a dense timeseries
(``.dtseries.nii``: the run's brain models, a series axis with the TR) or,
for a run read from GIFTI hemispheres, as a GIFTI pair (one ``.func.gii``
per hemisphere, one DataArray per volume, as fMRIPrep writes them). Region
tables of a surface atlas can also be written as a parcellated timeseries
(``.ptseries.nii``: one parcel per region, named by its label, holding its
vertices and voxels, as ``wb_command -cifti-parcellate`` writes it). Files
are written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.cifti2 import cifti2_axes

from .writers import atomic_path

__all__ = [
    "HEMISPHERES",
    "hemisphere_name",
    "series_axis",
    "write_dense_scalars",
    "write_dense_series",
    "write_gifti_pair",
    "write_parcel_series",
]

#: The hemisphere files of a GIFTI pair: BIDS letter and GIFTI structure, by CIFTI name.
HEMISPHERES = {
    "CIFTI_STRUCTURE_CORTEX_LEFT": ("L", "CortexLeft"),
    "CIFTI_STRUCTURE_CORTEX_RIGHT": ("R", "CortexRight"),
}

#: BIDS entities that follow ``hemi`` in a file name (the hemisphere goes before them).
_AFTER_HEMI = ("space", "split", "recording", "chunk", "seg", "res", "den", "label")
_ENTITY = re.compile(r"^[a-zA-Z0-9]+-[^_]*$")


def hemisphere_name(name: str, letter: str) -> str:
    """Return a file name with ``hemi-<letter>`` where BIDS puts it.

    The entity goes before the first entity that follows it in BIDS order
    (``space``, ``den``...), else before the suffix (``_bold``); a name
    without entities gets it in front.

    Examples
    --------
    >>> hemisphere_name("sub-01_task-rest_space-fsaverage5_bold_timeseries.func.gii", "L")
    'sub-01_task-rest_hemi-L_space-fsaverage5_bold_timeseries.func.gii'
    """
    parts = name.split("_")
    entities = [i for i, p in enumerate(parts) if _ENTITY.match(p)]
    if not entities:
        return f"hemi-{letter}_{name}"
    at = entities[-1] + 1
    for i in entities:
        if parts[i].split("-")[0] in _AFTER_HEMI:
            at = i
            break
    return "_".join([*parts[:at], f"hemi-{letter}", *parts[at:]])


def series_axis(
    t_r: float | None, volumes: Sequence[int], n_rows: int
) -> cifti2_axes.SeriesAxis:
    """Return a series axis of ``n_rows`` steps of ``t_r`` s from the first kept volume.

    Without a TR the step is 1 (Workbench needs one).
    """
    step = float(t_r) if t_r else 1.0
    start = float(volumes[0]) * step if len(volumes) else 0.0
    return cifti2_axes.SeriesAxis(start=start, step=step, size=n_rows, unit="SECOND")


def _write_cifti(target: Path, values: np.ndarray, axes: tuple) -> Path:
    img = nib.Cifti2Image(np.asarray(values, dtype=np.float32), header=axes)
    img.nifti_header.set_intent(_intent(axes))
    with atomic_path(target, size_hint=int(values.size) * 4) as tmp:
        img.to_filename(str(tmp))
    return Path(target)


def _intent(axes: tuple) -> str:
    """Return the NIfTI intent Workbench expects for these axes."""
    rows, columns = axes
    if isinstance(columns, cifti2_axes.ParcelsAxis):
        return "ConnParcelSries"
    if isinstance(rows, cifti2_axes.ScalarAxis):
        return "ConnDenseScalar"
    return "ConnDenseSeries"


def write_dense_series(
    target: str | Path,
    values: np.ndarray,
    brain_models: cifti2_axes.BrainModelAxis,
    t_r: float | None,
    volumes: Sequence[int],
) -> Path:
    """Write ``(volumes, grayordinates)`` values as a ``.dtseries.nii`` (float32).

    Parameters
    ----------
    target : str or pathlib.Path
        The file, written atomically.
    values : numpy.ndarray
        One column per grayordinate of ``brain_models``, in its order.
    brain_models : nibabel.cifti2.BrainModelAxis
        The grayordinates.
    t_r : float or None
        The series step in seconds.
    volumes : sequence of int
        The image volume of each row (the series starts at the first).

    Returns
    -------
    pathlib.Path
        ``target``.
    """
    axes = (series_axis(t_r, volumes, values.shape[0]), brain_models)
    return _write_cifti(Path(target), values, axes)


def write_dense_scalars(
    target: str | Path,
    values: np.ndarray,
    brain_models: cifti2_axes.BrainModelAxis,
    names: Sequence[str],
) -> Path:
    """Write ``(maps, grayordinates)`` values as a ``.dscalar.nii`` (float32), maps named."""
    axes = (cifti2_axes.ScalarAxis(list(names)), brain_models)
    return _write_cifti(Path(target), values, axes)


def write_parcel_series(
    target: str | Path,
    values: np.ndarray,
    parcels: cifti2_axes.ParcelsAxis,
    t_r: float | None,
    volumes: Sequence[int],
) -> Path:
    """Write ``(volumes, regions)`` values as a ``.ptseries.nii`` (float32).

    ``parcels`` names each region and holds its vertices and voxels.
    """
    axes = (series_axis(t_r, volumes, values.shape[0]), parcels)
    return _write_cifti(Path(target), values, axes)


def write_gifti_pair(
    target: str | Path,
    values: np.ndarray,
    brain_models: cifti2_axes.BrainModelAxis,
    t_r: float | None,
) -> list[Path]:
    """Write ``(volumes, vertices)`` values as one ``.func.gii`` per hemisphere.

    Each file is named ``target`` with ``hemi-L``/``hemi-R``
    (:func:`hemisphere_name`) and holds one float32 DataArray per volume with
    the ``TimeStep`` in milliseconds, as fMRIPrep writes them; its vertices
    are every vertex of the mesh (those the run lacks are 0).

    Returns
    -------
    list of pathlib.Path
        The files written, left hemisphere first.
    """
    target = Path(target)
    written = []
    meta = {} if not t_r else {"TimeStep": f"{float(t_r) * 1000:f}"}
    for name, part, models in brain_models.iter_structures():
        letter, gifti_name = HEMISPHERES[name]
        data = np.zeros((values.shape[0], models.nvertices[name]), dtype=np.float32)
        data[:, models.vertex] = values[:, part]
        arrays = [
            nib.gifti.GiftiDataArray(
                row,
                intent="NIFTI_INTENT_TIME_SERIES",
                datatype="NIFTI_TYPE_FLOAT32",
                meta=nib.gifti.GiftiMetaData(meta),
            )
            for row in data
        ]
        img = nib.gifti.GiftiImage(
            darrays=arrays,
            meta=nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": gifti_name}),
        )
        path = target.with_name(hemisphere_name(target.name, letter))
        with atomic_path(path, size_hint=int(data.size) * 4) as tmp:
            img.to_filename(str(tmp))
        written.append(path)
    return written
