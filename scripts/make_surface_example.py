"""Make the surface example data shipped in inst/extdata (fixed seeds, about 1 MB).

Two small cortical meshes (400 and 420 vertices: a toy, not fsaverage) and a
thalamus of 24 voxels, with 7 regions per hemisphere whose vertices share a
region signal plus noise. Layout (fMRIPrep-like)::

    inst/extdata/atlas-toy14_dseg.dlabel.nii            CIFTI atlas (both cortices)
    inst/extdata/hemi-L_atlas-toy14_dseg.label.gii      the same, GIFTI, left
    inst/extdata/hemi-R_atlas-toy14_dseg.label.gii      ... and right
    inst/extdata/fmriprep/sub-0N/func/
        sub-0N_task-rest_space-fsLR_den-toy_bold.dtseries.nii    CIFTI run, TR 2 s
        sub-0N_task-rest_hemi-L_space-toy_bold.func.gii          GIFTI run, left
        sub-0N_task-rest_hemi-R_space-toy_bold.func.gii          ... and right

Usage: python scripts/make_surface_example.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.cifti2 import cifti2_axes

MESHES = {"CortexLeft": 400, "CortexRight": 420}
N_REGIONS = 7  # per hemisphere
N_VOLUMES = 80
T_R = 2.0
NETWORKS = ("Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default")


def atlas_keys(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Return each hemisphere's key per vertex: contiguous bands, a medial wall of 0."""
    keys = {}
    for n, (name, size) in enumerate(MESHES.items()):
        bands = np.repeat(np.arange(N_REGIONS), int(np.ceil(size / N_REGIONS)))[:size]
        labels = 1 + bands + n * N_REGIONS
        labels[rng.choice(size, size // 10, replace=False)] = 0
        keys[name] = labels
    return keys


def names() -> dict[int, str]:
    """Return the label table: 0 and a Schaefer-like name per key."""
    table = {0: "???"}
    for n, side in enumerate(("LH", "RH")):
        for k, network in enumerate(NETWORKS):
            table[1 + k + n * N_REGIONS] = f"7Networks_{side}_{network}"
    return table


def region_series(rng: np.random.Generator) -> np.ndarray:
    """Return ``(volumes, 2 * N_REGIONS)`` slow region signals, networks shared by side."""
    networks = rng.normal(0, 1, (N_VOLUMES, N_REGIONS)).cumsum(axis=0)
    networks -= networks.mean(axis=0)
    sides = [networks + 0.5 * rng.normal(0, 1, networks.shape) for _ in range(2)]
    return np.hstack(sides)


def write_atlases(out: Path, keys: dict[str, np.ndarray]) -> None:
    table = names()
    models = None
    for name, size in MESHES.items():
        axis = cifti2_axes.BrainModelAxis.from_mask(np.ones(size, bool), name=name)
        models = axis if models is None else models + axis
    colours = {k: (k / 15, 1 - k / 15, 0.5, float(k > 0)) for k in table}
    label_axis = cifti2_axes.LabelAxis(
        ["toy14"], [{k: (v, colours[k]) for k, v in table.items()}]
    )
    data = np.concatenate(list(keys.values())).astype(np.float32)[None, :]
    nib.Cifti2Image(data, header=(label_axis, models)).to_filename(
        str(out / "atlas-toy14_dseg.dlabel.nii")
    )
    for (name, labels), side in zip(keys.items(), ("L", "R")):
        gifti_table = nib.gifti.GiftiLabelTable()
        for key in sorted({0, *labels.tolist()}):
            red, green, blue, alpha = colours[key]
            label = nib.gifti.GiftiLabel(key, red, green, blue, alpha)
            label.label = table[key]
            gifti_table.labels.append(label)
        array = nib.gifti.GiftiDataArray(
            labels.astype(np.int32),
            intent="NIFTI_INTENT_LABEL",
            datatype="NIFTI_TYPE_INT32",
        )
        meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": name})
        image = nib.gifti.GiftiImage(darrays=[array], labeltable=gifti_table, meta=meta)
        nib.save(image, str(out / f"hemi-{side}_atlas-toy14_dseg.label.gii"))


def write_runs(func: Path, sub: str, keys: dict[str, np.ndarray], seed: int) -> None:
    rng = np.random.default_rng(seed)
    signals = region_series(rng)
    halves = {}
    for name, labels in keys.items():
        base = 800 + 200 * rng.random(len(labels))
        region = np.where(labels > 0, labels - 1, 0)
        data = (
            base
            + 4 * signals[:, region]
            + 3 * rng.normal(0, 1, (N_VOLUMES, len(labels)))
        )
        halves[name] = data.astype(np.float32)
    # CIFTI: the cortices without their medial wall, and a thalamus
    models, columns = None, []
    for name, labels in keys.items():
        keep = labels > 0
        axis = cifti2_axes.BrainModelAxis.from_mask(keep, name=name)
        models = axis if models is None else models + axis
        columns.append(halves[name][:, keep])
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-90, -126, -72]
    mask = np.zeros((91, 109, 91), dtype=bool)
    mask[50:53, 50:54, 40:42] = True
    models = models + cifti2_axes.BrainModelAxis.from_mask(
        mask, name="thalamus_left", affine=affine
    )
    columns.append(800 + rng.normal(0, 3, (N_VOLUMES, int(mask.sum()))).cumsum(axis=0))
    series = cifti2_axes.SeriesAxis(start=0, step=T_R, size=N_VOLUMES, unit="SECOND")
    data = np.hstack(columns).astype(np.float32)
    nib.Cifti2Image(data, header=(series, models)).to_filename(
        str(func / f"{sub}_task-rest_space-fsLR_den-toy_bold.dtseries.nii")
    )
    # GIFTI: one file per hemisphere, one DataArray per volume, as fMRIPrep
    for (name, data), side in zip(halves.items(), ("L", "R")):
        arrays = [
            nib.gifti.GiftiDataArray(
                row,
                intent="NIFTI_INTENT_TIME_SERIES",
                datatype="NIFTI_TYPE_FLOAT32",
                meta=nib.gifti.GiftiMetaData({"TimeStep": f"{T_R * 1000:f}"}),
            )
            for row in data
        ]
        meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": name})
        nib.save(
            nib.gifti.GiftiImage(darrays=arrays, meta=meta),
            str(func / f"{sub}_task-rest_hemi-{side}_space-toy_bold.func.gii"),
        )


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "inst/extdata")
    keys = atlas_keys(np.random.default_rng(14))
    write_atlases(out, keys)
    for n, seed in ((1, 1101), (2, 2202)):
        sub = f"sub-{n:02d}"
        func = out / "fmriprep" / sub / "func"
        func.mkdir(parents=True, exist_ok=True)
        write_runs(func, sub, keys, seed)
    for path in sorted(out.rglob("*")):
        if path.is_file() and ("toy" in path.name):
            print(f"{path.stat().st_size:>9}  {path}")


if __name__ == "__main__":
    main()
