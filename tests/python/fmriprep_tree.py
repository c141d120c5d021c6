"""Build small fMRIPrep-like derivative trees for the confound and pairing tests."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

MOTION = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]


def _expand(table: dict, name: str, values: np.ndarray) -> None:
    deriv = np.r_[np.nan, np.diff(values)]
    table[name] = values
    table[f"{name}_derivative1"] = deriv
    table[f"{name}_power2"] = values**2
    table[f"{name}_derivative1_power2"] = deriv**2


def fmriprep_table(
    n_volumes: int,
    rng: np.random.Generator,
    *,
    non_steady: int = 0,
    fd_spikes: tuple[int, ...] = (),
    dvars_spikes: tuple[int, ...] = (),
    aroma: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Return a confounds table with fMRIPrep's column names, and its JSON metadata."""
    table: dict = {}
    motion = np.cumsum(rng.normal(0, 0.02, (n_volumes, 6)), axis=0)
    for i, name in enumerate(MOTION):
        _expand(table, name, motion[:, i])
    for name in ("global_signal", "csf", "white_matter"):
        _expand(table, name, 100 + rng.normal(0, 1, n_volumes).cumsum() * 0.1)
    fd = np.r_[np.nan, 0.05 + 0.05 * rng.random(n_volumes - 1)]
    fd[list(fd_spikes)] = 0.9
    table["framewise_displacement"] = fd
    dvars = np.r_[np.nan, 1.0 + 0.1 * rng.random(n_volumes - 1)]
    dvars[list(dvars_spikes)] = 4.0
    table["std_dvars"] = dvars
    table["dvars"] = dvars * 20
    meta = {}
    masks = ["combined", "combined", "combined", "WM", "WM", "CSF"]
    for k, mask in enumerate(masks):
        table[f"a_comp_cor_{k:02d}"] = rng.normal(0, 1, n_volumes)
        meta[f"a_comp_cor_{k:02d}"] = {
            "Method": "aCompCor",
            "Mask": mask,
            "Retained": True,
        }
    for k in range(4):
        table[f"t_comp_cor_{k:02d}"] = rng.normal(0, 1, n_volumes)
        meta[f"t_comp_cor_{k:02d}"] = {"Method": "tCompCor", "Retained": True}
    for k in range(3):
        table[f"cosine{k:02d}"] = np.cos(
            np.pi * (k + 1) * (np.arange(n_volumes) + 0.5) / n_volumes
        )
    for k in range(aroma):
        table[f"aroma_motion_{k + 1:02d}"] = rng.normal(0, 1, n_volumes)
    for k in range(non_steady):
        table[f"non_steady_state_outlier{k:02d}"] = np.eye(n_volumes)[k]
    return pd.DataFrame(table), meta


def write_confounds(path: Path, table: pd.DataFrame, meta: dict | None) -> Path:
    """Write a confounds TSV (n/a for missing) and, when given, its JSON sidecar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False, na_rep="n/a")
    if meta is not None:
        path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def write_bold(
    path: Path,
    rng: np.random.Generator,
    n_volumes: int,
    t_r: float = 2.0,
    sidecar_t_r: float | None = None,
    shape=(6, 7, 5),
) -> Path:
    """Write a small random 4D image (and a BIDS JSON sidecar when ``sidecar_t_r``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (100 + rng.normal(0, 1, shape + (n_volumes,)).cumsum(axis=-1)).astype(
        np.float32
    )
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = t_r
    img.to_filename(path)
    if sidecar_t_r is not None:
        name = path.name.replace(".nii.gz", ".json")
        path.with_name(name).write_text(json.dumps({"RepetitionTime": sidecar_t_r}))
    return path


def write_atlas(
    path: Path, rng: np.random.Generator, n_regions: int = 3, shape=(6, 7, 5)
) -> Path:
    """Write a labelled atlas on the :func:`write_bold` grid, every label present."""
    labels = np.resize(np.arange(1, n_regions + 1), int(np.prod(shape)))
    rng.shuffle(labels)
    nib.Nifti1Image(
        labels.reshape(shape).astype(np.int16), np.diag([3.0, 3.0, 3.0, 1.0])
    ).to_filename(path)
    return path
