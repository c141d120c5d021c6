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


def _maps(shape, affine, scale=1):
    """Three Gaussian maps (one per column of centres), on a grid ``scale`` times finer."""
    grid = np.indices(shape).transpose(1, 2, 3, 0) / scale
    centres = [(2, 2, 2), (4, 5, 6), (5, 2, 7)]
    return np.stack([np.exp(-((grid - c) ** 2).sum(-1) / 3.0) for c in centres], -1)


def test_maps_fraction_is_whole_on_another_grid(tmp_path, bold_file, affine):
    fine = affine.copy()
    fine[:3, :3] /= 2
    path = tmp_path / "maps.nii.gz"
    shape = tuple(2 * n for n in SHAPE)
    nib.Nifti1Image(_maps(shape, fine, scale=2).astype(np.float32), fine).to_filename(
        path
    )
    out = tmp_path / "out"
    extract_timeseries(str(bold_file), str(path), str(out), report=False)
    coverage = _coverage(out)
    # no mask: every map is whole on the image's grid (it was ~1/8, a voxel-size ratio)
    assert (coverage["fraction"] == 1.0).all()
    assert (coverage["voxels_used"] == coverage["voxels_on_image_grid"]).all()
    assert (coverage["voxels_in_roi"] > coverage["voxels_on_image_grid"]).all()


def test_maps_fraction_is_the_share_of_weight_inside_the_mask(
    tmp_path, bold_file, affine
):
    weights = _maps(SHAPE, affine)
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(weights.astype(np.float32), affine).to_filename(path)
    mask = np.ones(SHAPE, dtype=np.uint8)
    mask[:, : SHAPE[1] // 2] = 0
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    out = tmp_path / "out"
    extract_timeseries(
        str(bold_file), str(path), str(out), mask_img=str(mask_file), report=False
    )
    coverage = _coverage(out)
    w = np.abs(weights.astype(np.float32)).astype(np.float64)
    expected = (w * mask[..., None]).sum(axis=(0, 1, 2)) / w.sum(axis=(0, 1, 2))
    assert np.allclose(coverage["fraction"], expected, rtol=1e-5)
    assert (coverage["voxels_on_image_grid"] == (w > 0).sum(axis=(0, 1, 2))).all()


def test_spheres_fraction_is_the_share_of_the_sphere_inside_the_mask(
    tmp_path, bold_file, affine
):
    centre = affine @ np.array([3, 4, 4, 1.0])
    seeds = tmp_path / "seeds.tsv"
    pd.DataFrame({"x": [centre[0]], "y": [centre[1]], "z": [centre[2]]}).to_csv(
        seeds, sep="\t", index=False
    )
    mask = np.ones(SHAPE, dtype=np.uint8)
    mask[:, :4] = 0  # the sphere's lower half in y
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    out = tmp_path / "out"
    extract_timeseries(
        str(bold_file), str(seeds), str(out), radius=5.0, mask_img=str(mask_file),
        report=False,
    )  # fmt: skip
    coverage = _coverage(out)
    ijk = np.indices(SHAPE).reshape(3, -1).T
    xyz = nib.affines.apply_affine(affine, ijk)
    inside = np.linalg.norm(xyz - centre[:3], axis=1) <= 5.0
    in_mask = mask.reshape(-1)[np.ravel_multi_index(ijk.T, SHAPE)] > 0
    assert coverage["voxels_in_roi"].tolist() == [int(inside.sum())]
    assert coverage["voxels_used"].tolist() == [int((inside & in_mask).sum())]
    assert np.isclose(coverage["fraction"][0], (inside & in_mask).sum() / inside.sum())
