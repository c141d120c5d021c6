"""Make synthetic fMRI datasets: a 4D BOLD image, a labelled atlas and confounds.

Used by ``scripts/make_example_data.py`` (the small dataset shipped in
``inst/extdata``) and ``bench/make_data.py`` (the MNI-sized benchmark data).
Everything is derived from one seed, so the files are reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

MOTION = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]


def brain_mask(shape: tuple[int, int, int]) -> np.ndarray:
    """Return an ellipsoid 'brain' filling most of the field of view."""
    grids = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    radius = sum((g / 0.85) ** 2 for g in grids)
    return radius <= 1.0


def voronoi_atlas(
    mask: np.ndarray, n_regions: int, rng: np.random.Generator
) -> np.ndarray:
    """Split ``mask`` into ``n_regions`` compact parcels labelled 1..n."""
    inside = np.argwhere(mask)
    seeds = inside[rng.choice(len(inside), n_regions, replace=False)].astype(float)
    atlas = np.zeros(mask.shape, dtype=np.int16)
    best = np.full(len(inside), np.inf)
    owner = np.zeros(len(inside), dtype=np.int16)
    for label, seed in enumerate(seeds, start=1):
        dist = ((inside - seed) ** 2).sum(axis=1)
        closer = dist < best
        best[closer] = dist[closer]
        owner[closer] = label
    atlas[tuple(inside.T)] = owner
    return atlas


def confounds_table(n_volumes: int, rng: np.random.Generator) -> pd.DataFrame:
    """Return an fMRIPrep-like confounds table.

    Columns: 24 motion terms, white_matter, csf, global_signal (each with
    derivative1, power2, derivative1_power2), framewise_displacement,
    std_dvars and dvars (two spikes above 1.5),
    a_comp_cor_00..04, t_comp_cor_00..02 and cosine00..02; first rows of
    derivatives, FD and DVARS are n/a as in fMRIPrep. Columns added after
    the first version draw from a child stream of ``rng``, so the older
    columns and the images made with the same ``rng`` do not change.
    """
    motion = np.cumsum(rng.normal(0, 0.02, (n_volumes, 6)), axis=0)
    table = {}
    for i, name in enumerate(MOTION):
        table[name] = motion[:, i]
        deriv = np.r_[np.nan, np.diff(motion[:, i])]
        table[f"{name}_derivative1"] = deriv
        table[f"{name}_power2"] = motion[:, i] ** 2
        table[f"{name}_derivative1_power2"] = deriv**2
    for name in ("white_matter", "csf", "global_signal"):
        table[name] = 100 + rng.normal(0, 1, n_volumes).cumsum() * 0.1
    for name in ("white_matter", "csf", "global_signal"):
        deriv = np.r_[np.nan, np.diff(table[name])]
        table[f"{name}_derivative1"] = deriv
        table[f"{name}_power2"] = table[name] ** 2
        table[f"{name}_derivative1_power2"] = deriv**2
    fd = np.abs(np.diff(motion, axis=0)).sum(axis=1)
    table["framewise_displacement"] = np.r_[np.nan, fd]
    for k in range(5):
        table[f"a_comp_cor_{k:02d}"] = rng.normal(0, 1, n_volumes)
    extra = rng.spawn(1)[0]
    std_dvars = 1.0 + np.abs(extra.normal(0, 0.15, n_volumes))
    std_dvars[[n_volumes // 3, (2 * n_volumes) // 3]] = 2.5
    std_dvars[0] = np.nan
    table["std_dvars"] = std_dvars
    table["dvars"] = std_dvars * 18.0
    for k in range(3):
        table[f"t_comp_cor_{k:02d}"] = extra.normal(0, 1, n_volumes)
    for k in range(3):
        table[f"cosine{k:02d}"] = np.cos(
            np.pi * (k + 1) * (np.arange(n_volumes) + 0.5) / n_volumes
        )
    return pd.DataFrame(table)


def confounds_metadata(table: pd.DataFrame) -> dict:
    """Return fMRIPrep-like JSON metadata of the CompCor columns of ``table``.

    a_comp_cor_00..02 come from the combined WM+CSF mask, 03 from WM, 04 from
    CSF; t_comp_cor_* are temporal CompCor. nilearn's CompCor strategies
    read the 'Mask' of each entry.
    """
    masks = {0: "combined", 1: "combined", 2: "combined", 3: "WM", 4: "CSF"}
    meta = {}
    for column in table.columns:
        if column.startswith(("a_comp_cor_", "t_comp_cor_")):
            k = int(column.rsplit("_", 1)[1])
            anat = column.startswith("a_")
            meta[column] = {
                "Method": "aCompCor" if anat else "tCompCor",
                "Mask": masks.get(k, "combined") if anat else "temporal",
                "Retained": True,
                "SingularValue": 10.0 / (k + 1),
                "VarianceExplained": 0.1 / (k + 1),
            }
    return meta


def write_dataset(
    out_dir: Path,
    *,
    shape: tuple[int, int, int],
    n_volumes: int,
    n_regions: int,
    voxel_size: float,
    seed: int,
    atlas_seed: int | None = None,
    stem: str = "sub-01_task-rest_bold",
    compresslevel: int = 6,
    t_r: float = 2.0,
) -> dict[str, Path]:
    """Write a BOLD image, an atlas with a labels TSV and a confounds TSV.

    Returns
    -------
    dict
        Paths by role: ``bold``, ``atlas``, ``labels``, ``confounds``, ``mask``.
    """
    rng = np.random.default_rng(seed)
    atlas_rng = np.random.default_rng(seed if atlas_seed is None else atlas_seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    affine = np.diag([voxel_size, voxel_size, voxel_size, 1.0])
    affine[:3, 3] = -np.array(shape) * voxel_size / 2
    mask = brain_mask(shape)
    atlas = voronoi_atlas(mask, n_regions, atlas_rng)
    confounds = confounds_table(n_volumes, rng)

    # Regional signals (slow fluctuations) plus motion leakage plus voxel noise.
    t = np.arange(n_volumes)
    region_ts = np.cumsum(rng.normal(0, 1, (n_volumes, n_regions + 1)), axis=0)
    region_ts -= region_ts.mean(axis=0)
    leak = confounds[MOTION].to_numpy() @ rng.normal(0, 20, (6, n_regions + 1))
    drift = 0.05 * t[:, None] * rng.normal(1, 0.2, n_regions + 1)
    baseline = 800 + 200 * rng.random(n_regions + 1)
    region_ts = baseline + region_ts * 5 + leak + drift
    region_ts[:, 0] = 0.0

    data = np.empty(shape + (n_volumes,), dtype=np.float32)
    inside = mask
    labels_in = atlas[inside]
    for v in range(n_volumes):
        vol = np.zeros(shape, dtype=np.float32)
        vol[inside] = region_ts[v, labels_in] + rng.normal(0, 10, labels_in.size)
        data[..., v] = vol

    header = nib.Nifti1Header()
    header.set_xyzt_units("mm", "sec")
    header["pixdim"][4] = t_r
    paths = {
        "bold": out_dir / f"{stem}.nii.gz",
        "atlas": out_dir / f"atlas-synthetic{n_regions}_dseg.nii.gz",
        "labels": out_dir / f"atlas-synthetic{n_regions}_dseg.tsv",
        "confounds": out_dir
        / f"{stem.removesuffix('_bold')}_desc-confounds_timeseries.tsv",
        "mask": out_dir / f"{stem.removesuffix('_bold')}_desc-brain_mask.nii.gz",
    }
    previous = nib.openers.Opener.default_compresslevel
    nib.openers.Opener.default_compresslevel = compresslevel
    try:
        nib.Nifti1Image(data, affine, header).to_filename(paths["bold"])
        nib.Nifti1Image(atlas, affine).to_filename(paths["atlas"])
        nib.Nifti1Image(mask.astype(np.uint8), affine).to_filename(paths["mask"])
    finally:
        nib.openers.Opener.default_compresslevel = previous
    names = pd.DataFrame(
        {
            "index": np.arange(1, n_regions + 1),
            "name": [f"region{i:03d}" for i in range(1, n_regions + 1)],
        }
    )
    names.to_csv(paths["labels"], sep="\t", index=False)
    confounds.to_csv(paths["confounds"], sep="\t", index=False, na_rep="n/a")
    paths["confounds_json"] = paths["confounds"].with_suffix(".json")
    paths["confounds_json"].write_text(
        json.dumps(confounds_metadata(confounds), indent=2) + "\n"
    )
    sidecar = paths["bold"].with_name(f"{stem}.json")
    sidecar.write_text(json.dumps({"RepetitionTime": t_r}, indent=2) + "\n")
    paths["sidecar"] = sidecar
    return paths
