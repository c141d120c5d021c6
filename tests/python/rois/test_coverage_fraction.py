"""coverage.tsv's ``fraction`` is XCP-D's coverage: the share of each region, on the
image's grid, that its signal is over (issue 21, item 15), not a voxel-size ratio."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
from conftest import SHAPE

from niimasker_core import extract_timeseries


def _fine_atlas(tmp_path, affine):
    """An atlas at half the image's voxel size, regions as slabs along x."""
    fine = affine.copy()
    fine[:3, :3] /= 2
    shape = tuple(2 * n for n in SHAPE)
    data = np.zeros(shape, dtype=np.int16)
    data[2:6], data[6:10], data[10:13] = 1, 2, 3
    path = tmp_path / "atlas.nii.gz"
    nib.Nifti1Image(data, fine).to_filename(path)
    return path, data


def _coverage(out) -> pd.DataFrame:
    (path,) = out.glob("*_coverage.tsv")
    return pd.read_csv(path, sep="\t")


def test_fraction_is_the_share_on_the_image_grid(tmp_path, bold_file, affine):
    atlas, data = _fine_atlas(tmp_path, affine)
    out = tmp_path / "out"
    extract_timeseries(str(bold_file), str(atlas), str(out), report=False)
    coverage = _coverage(out)
    # every region is whole on the image's grid: coverage 1, not ~1/8
    assert (coverage["fraction"] == 1.0).all()
    assert (coverage["voxels_used"] == coverage["voxels_on_image_grid"]).all()
    assert coverage["voxels_in_roi"].tolist() == [
        int((data == k).sum()) for k in (1, 2, 3)
    ]


def test_fraction_counts_the_mask(tmp_path, bold_file, affine):
    atlas, _ = _fine_atlas(tmp_path, affine)
    mask = np.ones(SHAPE, dtype=np.uint8)
    mask[:, : SHAPE[1] // 2] = 0  # half of every region is outside the brain mask
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    out = tmp_path / "out"
    extract_timeseries(
        str(bold_file), str(atlas), str(out), mask_img=str(mask_file), report=False
    )
    coverage = _coverage(out)
    expected = coverage["voxels_used"] / coverage["voxels_on_image_grid"]
    assert np.allclose(coverage["fraction"], expected)
    assert (coverage["fraction"] < 1).all() and (coverage["fraction"] > 0.3).all()
