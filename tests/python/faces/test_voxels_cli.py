"""The command's voxel mode (no roi_file) beside nilearn's NiftiMasker."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nilearn.maskers import NiftiMasker as NilearnMasker

from niimasker_core.faces.cli import main

FUNC = Path(__file__).parents[3] / "inst" / "extdata" / "fmriprep" / "sub-01" / "func"
BOLD = FUNC / "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz"
MASK = FUNC / "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz"
CLEANING = ["--detrend", "--standardize", "zscore_sample", "--high_pass", "0.02"]


def _nilearn(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masker = NilearnMasker(
            detrend=True, standardize="zscore_sample", high_pass=0.02, t_r=2.0, **params
        )
        return masker, masker.fit_transform(str(BOLD))


def _close(got, expected):
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-5 * np.abs(expected).max()
    )


@pytest.mark.parametrize("output_format", ["nifti", "npy", "tsv"])
def test_voxel_mode_writes_nilearns_numbers(output_format, tmp_path):
    argv = [str(tmp_path), "-i", str(BOLD), "-m", str(MASK), *CLEANING]
    if output_format != "nifti":  # nifti is the default without roi_file
        argv += ["--output_format", output_format]
    assert main(argv) == 0
    masker, expected = _nilearn(mask_img=str(MASK))
    stem = tmp_path / "sub-01_task-rest_space-MNI305_desc-preproc_bold_timeseries"
    if output_format == "nifti":
        img = nib.load(f"{stem}.nii.gz")
        _close(img.get_fdata(), masker.inverse_transform(expected).get_fdata())
    elif output_format == "npy":
        got = np.load(f"{stem}.npy")
        assert got.dtype == np.float32
        _close(got, expected)
    else:
        import pandas as pd

        table = pd.read_csv(f"{stem}.tsv", sep="\t")
        assert table.shape == expected.shape
        _close(table.to_numpy(), expected)
    sidecar = json.loads(Path(f"{stem}.json").read_text())
    assert sidecar["NumberOfVoxels"] == expected.shape[1]
    assert str(MASK) in sidecar["MaskSource"]
    mask = nib.load(tmp_path / "niimasker_data" / "mask_img.nii.gz")
    assert int(mask.get_fdata().sum()) == expected.shape[1]


def test_voxel_mode_computes_the_mask_as_nilearn(tmp_path):
    argv = [
        str(tmp_path),
        "-i",
        str(BOLD),
        *CLEANING,
        "--mask_strategy",
        "epi",
        "--mask_args",
        '{"opening": 1}',
        "--output_format",
        "npy",
    ]
    assert main(argv) == 0
    masker, expected = _nilearn(mask_strategy="epi", mask_args={"opening": 1})
    mask = nib.load(tmp_path / "niimasker_data" / "mask_img.nii.gz")
    np.testing.assert_array_equal(
        mask.get_fdata().astype(bool), masker.mask_img_.get_fdata().astype(bool)
    )
    stem = "sub-01_task-rest_space-MNI305_desc-preproc_bold_timeseries"
    _close(np.load(tmp_path / f"{stem}.npy"), expected)
    sidecar = json.loads((tmp_path / f"{stem}.json").read_text())
    assert "epi" in sidecar["MaskSource"]


def test_voxel_mode_target_affine_as_a_voxel_size(tmp_path):
    argv = [
        str(tmp_path),
        "-i",
        str(BOLD),
        "-m",
        str(MASK),
        *CLEANING,
        "--target_affine",
        "5",
        "--output_format",
        "npy",
    ]
    assert main(argv) == 0
    _, expected = _nilearn(mask_img=str(MASK), target_affine=np.diag([5.0] * 3))
    stem = "sub-01_task-rest_space-MNI305_desc-preproc_bold_timeseries"
    _close(np.load(tmp_path / f"{stem}.npy"), expected)
