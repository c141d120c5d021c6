"""Images read on another grid than their own, computed only where read, against nilearn.

The labels (``resampling_target="labels"``), the maps (``"maps"``) and voxel
mode with ``target_affine`` (the drop-in ``NiftiMasker`` and the command's
Python face) resample each volume as nilearn does (cubic splines, clipped to
the image's range) at the voxels read only. The images here have a zero
background beside a sharp edge, so the splines ring past the image's range
and nilearn's clipping changes the region means: a folded linear operator
without the clipping would fail these tests.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn import maskers as nilearn_maskers

import niimasker_core as core
from niimasker_core.domains.volume.grid import Grid

SHAPE = (13, 14, 12)
AFFINE = np.diag([3.0, 3.0, 3.5, 1.0])
FINE = np.diag([2.0, 2.0, 2.5, 1.0])
FINE[:3, 3] = [0.7, -0.4, 1.1]
FINE_SHAPE = (18, 20, 15)


@pytest.fixture
def bold(rng) -> nib.Nifti1Image:
    base = np.zeros(SHAPE)
    base[2:11, 2:12, 2:10] = 800 + 200 * rng.random((9, 10, 8))
    noise = rng.normal(0, 20, SHAPE + (12,)).cumsum(axis=-1)
    data = np.where(base[..., None] > 0, base[..., None] + noise, 0)
    return nib.Nifti1Image(data.astype(np.float32), AFFINE)


@pytest.fixture
def whole_grid_refused(monkeypatch):
    """Unsmoothed, a resampled domain is never resampled whole any more."""

    def refuse(*args, **kwargs):
        raise AssertionError("the whole grid was resampled")

    monkeypatch.setattr(Grid, "resample_from", refuse)


def nilearn_signals(name, *args, img, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(nilearn_maskers, name)(*args, **kwargs).fit_transform(img)


def ours(name, *args, img, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(core, name)(*args, **kwargs).fit_transform(img)


def assert_equal_to_1e6(got, expected):
    assert got.shape == expected.shape
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-6 * np.abs(expected).max()
    )


def fine_atlas(rng) -> nib.Nifti1Image:
    labels = np.zeros(FINE_SHAPE, np.int16)
    labels[2:17, 2:19, 2:14] = rng.integers(1, 9, (15, 17, 12))
    return nib.Nifti1Image(labels, FINE)


def test_labels_resampled_to_the_atlas_equal_nilearn(bold, rng, whole_grid_refused):
    atlas = fine_atlas(rng)
    expected = nilearn_signals(
        "NiftiLabelsMasker", atlas, resampling_target="labels", img=bold
    )
    got = ours("NiftiLabelsMasker", atlas, resampling_target="labels", img=bold)
    assert_equal_to_1e6(got, expected)


def test_labels_with_mask_and_float64_image_equal_nilearn(
    bold, rng, whole_grid_refused
):
    atlas = fine_atlas(rng)
    mask = np.zeros(FINE_SHAPE, np.uint8)
    mask[:12] = 1
    mask_img = nib.Nifti1Image(mask, FINE)
    img = nib.Nifti1Image(bold.get_fdata(), AFFINE)  # float64
    settings = {"resampling_target": "labels", "mask_img": mask_img}
    expected = nilearn_signals("NiftiLabelsMasker", atlas, img=img, **settings)
    got = ours("NiftiLabelsMasker", atlas, img=img, **settings)
    assert got.dtype == expected.dtype == np.float64
    assert_equal_to_1e6(got, expected)


def test_maps_resampled_to_the_maps_equal_nilearn(bold, rng, whole_grid_refused):
    grid = np.indices(FINE_SHAPE).transpose(1, 2, 3, 0)
    centres = [(5, 6, 4), (12, 8, 9), (8, 15, 6)]
    maps = np.stack(
        [np.exp(-((grid - c) ** 2).sum(-1) / 8.0) for c in centres], axis=-1
    )
    maps[maps < 0.05] = 0
    maps_img = nib.Nifti1Image(maps.astype(np.float32), FINE)
    expected = nilearn_signals(
        "NiftiMapsMasker", maps_img, resampling_target="maps", img=bold
    )
    got = ours("NiftiMapsMasker", maps_img, resampling_target="maps", img=bold)
    assert_equal_to_1e6(got, expected)


def test_voxels_with_target_affine_equal_nilearn(bold, tmp_path, whole_grid_refused):
    path = tmp_path / "bold.nii.gz"  # a file: streamed (in memory: nilearn's way)
    bold.to_filename(path)
    mask = np.zeros(SHAPE, np.uint8)
    mask[3:10, 3:11, 3:9] = 1
    settings = {
        "mask_img": nib.Nifti1Image(mask, AFFINE),
        "target_affine": np.diag([2.0, 2.5, 2.0]),
    }
    expected = nilearn_signals("NiftiMasker", img=str(path), **settings)
    got = ours("NiftiMasker", img=str(path), **settings)
    assert_equal_to_1e6(got, expected)


def test_command_voxels_with_target_affine_equal_nilearn(
    bold, tmp_path, whole_grid_refused
):
    path = tmp_path / "sub-01_task-rest_bold.nii.gz"
    bold.to_filename(path)
    mask = np.zeros(SHAPE, np.uint8)
    mask[3:10, 3:11, 3:9] = 1
    mask_path = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, AFFINE).to_filename(mask_path)
    expected = nilearn_signals(
        "NiftiMasker",
        img=str(path),
        mask_img=str(mask_path),
        target_affine=np.diag([2.0, 2.0, 2.0]),
        t_r=2.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = core.extract_timeseries(
            input_files=[str(path)],
            mask_img=str(mask_path),
            target_affine=2.0,
            t_r=2.0,
            output_format="npy",
            output_dir=str(tmp_path / "out"),
        )
    assert_equal_to_1e6(result[0].to_numpy(), expected)
