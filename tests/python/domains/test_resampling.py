"""Separable resampling against nilearn's resample_img (continuous)."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn.image import resample_img

from niimasker_core.domains.volume.resampling import (
    axis_aligned_transform,
    resample_separable,
)

SOURCE = np.diag([2.0, 2.0, 2.0, 1.0])
TARGETS = {
    "half_voxel_shift": np.array(
        [[2.0, 0, 0, 3.0], [0, 2.0, 0, 1.0], [0, 0, 2.0, -3.0], [0, 0, 0, 1]]
    ),
    "coarser": np.diag([3.0, 2.5, 4.0, 1.0]),
    "flipped_and_finer": np.array(
        [[-1.5, 0, 0, 30], [0, 2, 0, -5], [0, 0, 1.7, 3], [0, 0, 0, 1]]
    ),
}


def nilearn_resampled(data, target, shape, interpolation):
    """nilearn's ``resample_img`` of ``data`` (on SOURCE), in the data's dtype."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resample_img(
            nib.Nifti1Image(data, SOURCE),
            target_affine=target,
            target_shape=shape,
            interpolation=interpolation,
            force_resample=True,
            copy_header=True,
        ).get_fdata(dtype=data.dtype)


@pytest.mark.parametrize("name", sorted(TARGETS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_nilearn(name, dtype):
    rng = np.random.default_rng(1)
    data = (rng.standard_normal((14, 15, 16, 3)) + 2).astype(dtype)
    data[:3] = 0  # an edge, so that clipping matters
    target, shape = TARGETS[name], (12, 13, 11)
    expected = nilearn_resampled(data, target, shape, "continuous")
    block = np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(3, -1)
    got = resample_separable(
        block, (14, 15, 16), shape, *axis_aligned_transform(SOURCE, target)
    )
    assert got.dtype == dtype
    got = got.reshape(3, *shape[::-1]).transpose(3, 2, 1, 0)
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-5 * np.abs(expected).max()
    )


def test_rotations_are_not_axis_aligned():
    rotation = np.eye(4)
    rotation[:2, :2] = [[0, -1], [1, 0]]
    assert axis_aligned_transform(SOURCE, rotation) is None


@pytest.mark.parametrize("smoothing_fwhm", [None, 4.0])
def test_streamed_chunks_clip_to_the_whole_image_range(tmp_path, smoothing_fwhm):
    """nilearn clips resampled values to the whole image's range, not a chunk's."""
    from nilearn.maskers import NiftiMasker as NilearnMasker

    from niimasker_core.domains.volume.grid import Grid
    from niimasker_core.domains.volume.nifti import read_image_info
    from niimasker_core.engine import Reduction, extract

    rng = np.random.default_rng(2)
    data = rng.random((14, 15, 16, 6)).astype(np.float32) * 100
    data[:3] = 0
    data *= np.linspace(1, 2, 6, dtype=np.float32)  # each volume's maximum differs
    path = tmp_path / "bold.nii.gz"
    nib.Nifti1Image(data, SOURCE).to_filename(path)
    mask = nib.Nifti1Image(np.ones((9, 9, 9), np.uint8), TARGETS["half_voxel_shift"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = NilearnMasker(mask_img=mask, smoothing_fwhm=smoothing_fwhm).fit(path)
        expected = theirs.transform(path)
    cropped_shape, cropped_affine = (9, 9, 9), TARGETS["half_voxel_shift"]
    voxels = np.arange(9 * 9 * 9).reshape((9, 9, 9), order="F")[np.ones((9,) * 3, bool)]
    reduction = Reduction(
        columns=list(range(voxels.size)),
        voxels=voxels,
        reduce=lambda values: values,
        domain=Grid(cropped_shape, cropped_affine),
        dtype=np.float32,
    )
    info = read_image_info(path)
    got = extract(
        info,
        [reduction],
        smoothing_fwhm=smoothing_fwhm,
        chunk_bytes=data[..., 0].nbytes,  # one volume per chunk
    ).signals[0]
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-5 * np.abs(expected).max()
    )


def compact_maps(shape, dtype):
    """Random maps zero outside a box each (one map empty), as probabilistic atlases."""
    rng = np.random.default_rng(2)
    maps = np.zeros((*shape, 4), dtype=dtype)
    maps[2:7, 3:9, 1:5, 0] = rng.random((5, 6, 4))
    maps[..., 1] = rng.random(shape) * (rng.random(shape) > 0.5)  # scattered
    maps[9:, 10:, 12:, 3] = rng.random((shape[0] - 9, shape[1] - 10, shape[2] - 12))
    return maps  # map 2 stays empty


@pytest.mark.parametrize("name", [*sorted(TARGETS), "rotated"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maps_resampled_on_their_boxes_equal_nilearn_linear(tmp_path, name, dtype):
    """Maps on another grid equal ``resample_img(interpolation="linear")``.

    Each map is resampled on the box around its nonzero voxels; values agree
    to rounding (float32 maps: within one float32 ulp, rarely not bit for
    bit). Rotations take nilearn's own path.
    """
    from niimasker_core.rois.maps import read_maps

    if name == "rotated":
        target = np.eye(4)
        target[:2, :2] = [[0, -2.1], [2.1, 0]]
        target[:3, 3] = [30, 2, 1]
    else:
        target = TARGETS[name]
    shape = (12, 13, 11)
    maps = compact_maps((14, 15, 16), dtype)
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps, SOURCE).to_filename(path)
    expected = nilearn_resampled(maps, target, shape, "linear")
    expected = expected.reshape(-1, 4, order="F")
    got = read_maps(str(path), shape, target).toarray()
    assert expected[:, 1].any() and not expected[:, 2].any()  # a map reaches the grid
    np.testing.assert_array_equal(got != 0, expected != 0)
    rtol = 1.2e-7 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)
