"""Boxes of one grid as one domain: each box as nilearn resamples and smooths it alone."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn.image import resample_img, smooth_img

from niimasker_core.domains.volume.boxes import Boxes
from niimasker_core.domains.volume.grid import Grid

SOURCE = Grid((9, 10, 11), np.diag([3.0, 3.5, 4.0, 1.0]))
ATLAS = np.diag([2.0, 2.5, 3.0, 1.0])  # finer, anisotropic, shifted off the source
ATLAS[:3, 3] = [0.7, -1.1, 0.4]


def box(start, shape, affine=ATLAS) -> Grid:
    moved = affine.copy()
    moved[:3, 3] += affine[:3, :3] @ np.asarray(start, dtype=float)
    return Grid(tuple(shape), moved)


def as_block(data: np.ndarray) -> np.ndarray:
    """``(x, y, z, t)`` volumes as the engine's ``(t, voxels)`` rows, Fortran order."""
    return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(data.shape[3], -1)


@pytest.fixture
def volumes() -> np.ndarray:
    rng = np.random.default_rng(3)
    return (100 + rng.normal(0, 5, (*SOURCE.shape, 4))).astype(np.float32)


def test_frame_is_the_smallest_grid_around_the_boxes():
    boxes = Boxes.around([box((2, 3, 1), (4, 5, 6)), box((5, 1, 4), (3, 3, 3))])
    assert boxes.frame.key == box((2, 1, 1), (6, 7, 6)).key
    assert boxes.n_samples == 4 * 5 * 6 + 3 * 3 * 3


def test_each_box_is_resampled_and_smoothed_as_nilearn_does_alone(volumes):
    grids = [box((2, 3, 1), (4, 5, 6)), box((5, 1, 4), (6, 4, 3))]
    boxes = Boxes.around(grids)
    image = nib.Nifti1Image(volumes, SOURCE.affine)
    got = boxes.smooth(boxes.resample_from(SOURCE, as_block(volumes)), 6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.concatenate(
            [
                as_block(
                    smooth_img(
                        resample_img(
                            image,
                            target_affine=grid.affine,
                            target_shape=grid.shape,
                            interpolation="continuous",
                            force_resample=True,
                            copy_header=True,
                        ),
                        6.0,
                    ).get_fdata(dtype=np.float32)
                )
                for grid in grids
            ],
            axis=1,
        )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * expected.max())


def test_a_box_that_is_the_image_grid_is_read_as_it_is(volumes):
    inner = box((2, 2, 2), (3, 3, 3), SOURCE.affine)
    boxes = Boxes.around([SOURCE, inner])
    got = boxes.resample_from(SOURCE, as_block(volumes))
    np.testing.assert_array_equal(got[:, : SOURCE.n_samples], as_block(volumes))
    np.testing.assert_array_equal(
        got[:, SOURCE.n_samples :], as_block(volumes[2:5, 2:5, 2:5])
    )


def test_boxes_must_share_their_voxel_axes():
    with pytest.raises(ValueError, match="voxel axes"):
        Boxes.around([box((0, 0, 0), (2, 2, 2)), SOURCE])
