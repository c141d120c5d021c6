"""Small CIFTI and GIFTI files for tests: two cortical meshes and a subcortical structure.

The meshes are small (a few hundred vertices), each hemisphere leaves some
vertices out of the image (a medial wall), and the subcortical structure is a
handful of voxels: enough for matching by vertex and by voxel to fail loudly
when it is wrong.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.cifti2 import cifti2_axes

N_LEFT, N_RIGHT = 240, 260  # mesh sizes: different, so hemispheres cannot mix
VOLUME_SHAPE = (6, 7, 8)
AFFINE = np.array(
    [[2.0, 0, 0, -6], [0, 2.0, 0, -7], [0, 0, 2.0, -8], [0, 0, 0, 1]], dtype=float
)
T_R = 0.8


def brain_models(
    rng: np.random.Generator, *, medial_wall: bool = True, subcortex: bool = True
) -> cifti2_axes.BrainModelAxis:
    """Return a brain-model axis: both cortices (with a medial wall left out), a thalamus."""
    axes = []
    for name, size in (("CortexLeft", N_LEFT), ("CortexRight", N_RIGHT)):
        keep = np.ones(size, dtype=bool)
        if medial_wall:
            keep[rng.choice(size, size // 10, replace=False)] = False
        axes.append(cifti2_axes.BrainModelAxis.from_mask(keep, name=name))
    if subcortex:
        mask = np.zeros(VOLUME_SHAPE, dtype=bool)
        mask[2:4, 3:5, 1:6] = True
        axes.append(
            cifti2_axes.BrainModelAxis.from_mask(
                mask, name="thalamus_left", affine=AFFINE
            )
        )
    out = axes[0]
    for axis in axes[1:]:
        out = out + axis
    return out


def write_dtseries(
    path: Path,
    models: cifti2_axes.BrainModelAxis,
    rng: np.random.Generator,
    n_volumes: int = 30,
    dtype=np.float32,
    t_r: float = T_R,
) -> np.ndarray:
    """Write a dense timeseries; return its data ``(volumes, grayordinates)``."""
    base = 100 + 20 * rng.random(len(models))
    data = (base + rng.normal(0, 1, (n_volumes, len(models))).cumsum(axis=0)).astype(
        dtype
    )
    series = cifti2_axes.SeriesAxis(start=0, step=t_r, size=n_volumes, unit="SECOND")
    nib.Cifti2Image(data, header=(series, models)).to_filename(str(path))
    return data


def write_dlabel(
    path: Path,
    models: cifti2_axes.BrainModelAxis,
    keys: np.ndarray,
    names: dict[int, str] | None = None,
) -> None:
    """Write a one-map label file with a key per grayordinate."""
    used = sorted({0, *np.unique(keys).tolist(), *(names or {})})
    table = {
        int(k): (
            "???" if k == 0 else (names or {}).get(int(k), f"Parcel_{k}"),
            (k * 0.01 % 1, 0.5, 0.5, 1.0 if k else 0.0),
        )
        for k in used
    }
    maps = cifti2_axes.LabelAxis(["parcels"], [table])
    data = np.asarray(keys, dtype=np.float32)[None, :]
    nib.Cifti2Image(data, header=(maps, models)).to_filename(str(path))


def random_keys(
    models: cifti2_axes.BrainModelAxis, rng: np.random.Generator, n_regions: int = 6
) -> np.ndarray:
    """Return a key per grayordinate: regions 1..n, some on both hemispheres, some 0."""
    keys = rng.integers(0, n_regions + 1, len(models))
    return keys


def write_func_gii(
    path: Path,
    data: np.ndarray,
    structure: str | None,
    time_step_ms: float | None = 800.0,
    one_array: bool = False,
    intent: str = "NIFTI_INTENT_TIME_SERIES",
) -> None:
    """Write ``(volumes, vertices)`` data as fMRIPrep does: one DataArray per volume.

    ``one_array`` writes a single two-dimensional DataArray instead
    (``vertices x volumes``: Workbench with a time-series ``intent``, nilearn
    with ``NIFTI_INTENT_NONE``).
    """
    meta = {} if time_step_ms is None else {"TimeStep": f"{time_step_ms:f}"}
    if one_array:
        arrays = [
            nib.gifti.GiftiDataArray(
                np.ascontiguousarray(data.T),
                intent=intent,
                datatype="NIFTI_TYPE_FLOAT32",
                meta=nib.gifti.GiftiMetaData(meta),
            )
        ]
    else:
        arrays = [
            nib.gifti.GiftiDataArray(
                row.astype(np.float32),
                intent="NIFTI_INTENT_TIME_SERIES",
                datatype="NIFTI_TYPE_FLOAT32",
                meta=nib.gifti.GiftiMetaData(meta),
            )
            for row in data
        ]
    file_meta = {} if structure is None else {"AnatomicalStructurePrimary": structure}
    nib.save(
        nib.gifti.GiftiImage(darrays=arrays, meta=nib.gifti.GiftiMetaData(file_meta)),
        str(path),
    )


def write_label_gii(
    path: Path, keys: np.ndarray, names: dict[int, str], structure: str | None = None
) -> None:
    """Write one hemisphere's labels with a label table."""
    table = nib.gifti.GiftiLabelTable()
    for key, name in sorted(names.items()):
        label = nib.gifti.GiftiLabel(
            key=int(key), red=0.5, green=0.5, blue=0.5, alpha=1
        )
        label.label = name
        table.labels.append(label)
    array = nib.gifti.GiftiDataArray(
        np.asarray(keys, dtype=np.int32),
        intent="NIFTI_INTENT_LABEL",
        datatype="NIFTI_TYPE_INT32",
    )
    meta = {} if structure is None else {"AnatomicalStructurePrimary": structure}
    nib.save(
        nib.gifti.GiftiImage(
            darrays=[array], labeltable=table, meta=nib.gifti.GiftiMetaData(meta)
        ),
        str(path),
    )


def surface_series(
    rng: np.random.Generator, n_vertices: int, n_volumes: int = 30
) -> np.ndarray:
    """Return ``(volumes, vertices)`` float32 values: a baseline and a random walk."""
    base = 100 + 20 * rng.random(n_vertices)
    walk = rng.normal(0, 1, (n_volumes, n_vertices)).cumsum(axis=0)
    return (base + walk).astype(np.float32)


def write_mgh(path: Path, data: np.ndarray, tr_ms: float = 800.0) -> None:
    """Write ``(volumes, vertices)`` data as FreeSurfer does: ``vertices x 1 x 1 x frames``."""
    from nibabel.freesurfer import mghformat

    frames = np.ascontiguousarray(data.T)[:, None, None, :]
    img = mghformat.MGHImage(frames, np.eye(4))
    img.header["tr"] = tr_ms
    img.to_filename(str(path))


def write_dscalar(
    path: Path,
    models: cifti2_axes.BrainModelAxis,
    values: np.ndarray,
    names: list[str] | None = None,
) -> None:
    """Write ``(maps, grayordinates)`` values as a dense scalar file, maps named."""
    names = names or [f"map{i + 1}" for i in range(values.shape[0])]
    axis = cifti2_axes.ScalarAxis(names)
    data = np.asarray(values, dtype=np.float32)
    nib.Cifti2Image(data, header=(axis, models)).to_filename(str(path))


def write_shape_gii(
    path: Path,
    values: np.ndarray,
    structure: str | None = None,
    names: list[str] | None = None,
) -> None:
    """Write one hemisphere's ``(vertices, maps)`` values, one DataArray per map."""
    arrays = [
        nib.gifti.GiftiDataArray(
            np.asarray(column, dtype=np.float32),
            intent="NIFTI_INTENT_SHAPE",
            datatype="NIFTI_TYPE_FLOAT32",
            meta=nib.gifti.GiftiMetaData({"Name": names[i]} if names else {}),
        )
        for i, column in enumerate(np.atleast_2d(values.T))
    ]
    meta = {} if structure is None else {"AnatomicalStructurePrimary": structure}
    nib.save(
        nib.gifti.GiftiImage(darrays=arrays, meta=nib.gifti.GiftiMetaData(meta)),
        str(path),
    )


def write_toy_gifti_run(
    folder: Path, rng: np.random.Generator, stem: str, n_volumes: int = 12
) -> tuple[list[str], str]:
    """Write a 120-vertex GIFTI run pair and a 3-region ``.label.gii`` atlas pair.

    Returns the run's two files (``<stem with hemi-L/R>.func.gii``) and the
    atlas's left file (``hemi-L_atlas-toy_dseg.label.gii``, which brings its
    right half); key 0 is the medial wall.
    """
    runs = []
    for hemi in ("L", "R"):
        run = folder / f"{stem.format(hemi=hemi)}.func.gii"
        write_func_gii(run, surface_series(rng, 120, n_volumes=n_volumes), None)
        runs.append(str(run))
        write_label_gii(
            folder / f"hemi-{hemi}_atlas-toy_dseg.label.gii",
            rng.integers(0, 4, 120),
            {0: "wall", 1: "a", 2: "b", 3: "c"},
        )
    return runs, str(folder / "hemi-L_atlas-toy_dseg.label.gii")
