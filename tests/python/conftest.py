"""Small in-memory fixtures: images whose dimensions all differ, so axis mix-ups fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from niimasker_core.params.options import RunOptions
from niimasker_core.params.settings import make_settings

SHAPE = (7, 8, 9)
N_VOLUMES = 40


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture
def affine() -> np.ndarray:
    aff = np.diag([3.0, 3.5, 4.0, 1.0])
    aff[:3, 3] = [-10.0, -14.0, -18.0]
    return aff


def make_bold(
    rng: np.random.Generator,
    affine: np.ndarray,
    n_volumes: int = N_VOLUMES,
    dtype=np.float32,
) -> nib.Nifti1Image:
    base = 100 + 20 * rng.random(SHAPE)
    signal = rng.normal(0, 1, SHAPE + (n_volumes,)).cumsum(axis=-1)
    data = (base[..., None] + signal + rng.normal(0, 0.5, SHAPE + (n_volumes,))).astype(
        dtype
    )
    header = nib.Nifti1Header()
    header.set_xyzt_units("mm", "sec")
    img = nib.Nifti1Image(data, affine, header)
    img.header["pixdim"][4] = 2.0
    return img


def make_atlas(
    rng: np.random.Generator, affine: np.ndarray, n_regions: int = 5
) -> nib.Nifti1Image:
    labels = rng.integers(0, n_regions + 1, SHAPE).astype(np.int16)
    return nib.Nifti1Image(labels, affine)


@pytest.fixture
def bold_file(tmp_path: Path, rng, affine) -> Path:
    path = tmp_path / "sub-01_task-rest_bold.nii.gz"
    make_bold(rng, affine).to_filename(path)
    return path


@pytest.fixture
def atlas_file(tmp_path: Path, rng, affine) -> Path:
    path = tmp_path / "atlas.nii.gz"
    make_atlas(rng, affine).to_filename(path)
    return path


@pytest.fixture
def confounds_file(tmp_path: Path, rng) -> Path:
    motion = rng.normal(0, 0.1, (N_VOLUMES, 6)).cumsum(axis=0)
    names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    table = pd.DataFrame(motion, columns=names)
    for name in names:
        table[f"{name}_derivative1"] = np.r_[np.nan, np.diff(table[name])]
    table["csf"] = rng.normal(0, 1, N_VOLUMES)
    path = tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv"
    table.to_csv(path, sep="\t", index=False, na_rep="n/a")
    return path


def run_options(values=None, **kwargs) -> RunOptions:
    """Return each room's options for these parameter values, as the batch builds them."""
    return RunOptions.from_settings(make_settings(values, **kwargs))


@pytest.fixture(scope="module")
def wb_command() -> str:
    """Connectome Workbench's command, the CIFTI oracle (the set-up installs it)."""
    path = shutil.which("wb_command")
    if path is None:
        pytest.fail(
            "wb_command is missing: install connectome-workbench (sh bootstrap.sh does)."
        )
    return path


def one_error_line(capsys, argv, extra=()) -> str:
    """Run the command; assert exit 2 with one line and no traceback; return the line."""
    from niimasker_core.faces.cli import main

    try:
        code = main([str(a) for a in argv] + list(extra))
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]
