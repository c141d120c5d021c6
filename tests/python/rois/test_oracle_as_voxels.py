"""Oracle tests: ``as_voxels`` equals nilearn's ``NiftiMasker`` with each region as its mask.

Every voxel of every region of a labelled atlas (or of a single-region mask)
is, region by region in niimasker's column order, what
``NiftiMasker(mask_img=<the region>, smoothing_fwhm=...)`` returns: on the
image's grid, and on another grid (a larger field of view, finer anisotropic
voxels, a rotated grid), where nilearn resamples the image to the region
cropped to its bounding box and smooths it there. Spheres are drawn on the
image's grid, so their voxels are ``NiftiMasker``'s on it.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn.maskers import NiftiMasker
from nilearn.maskers.nifti_spheres_masker import apply_mask_and_get_affinity
from test_oracle_spheres import SEEDS, write_seeds

from niimasker_core.faces.api import extract_timeseries

FWHMS = [None, 4.0, 6.0]


def _rotation(degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    rotation = np.eye(4)
    rotation[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    return rotation


def roi_grid(name: str, affine: np.ndarray) -> tuple[tuple[int, int, int], np.ndarray]:
    """Return the ROI's grid: the image's, or another one around it."""
    if name == "same":
        return (7, 8, 9), affine
    if name == "larger_fov":  # the image's voxels, two more on each side
        larger = affine.copy()
        larger[:3, 3] -= 2 * np.diag(affine)[:3]
        return (11, 12, 13), larger
    finer = np.diag([2.0, 2.5, 3.0, 1.0])  # anisotropic, shifted off the image's
    finer[:3, 3] = affine[:3, 3] + [0.7, -1.1, 0.4]
    if name == "rotated":
        finer = _rotation(10.0) @ finer
    return (10, 11, 12), finer


def regions(shape: tuple[int, int, int], single: bool) -> np.ndarray:
    """Three overlapping blocks (the later wins), one touching the grid's corner.

    On the larger field of view, the first block with one voxel around it is
    the image's grid: nilearn reads it there without resampling.
    """
    labels = np.zeros(shape, dtype=np.int16)
    labels[3:8, 3:9, 3:10] = 1
    if single:
        return labels
    labels[5:9, 2:6, 6:11] = 2
    labels[0:3, 6:10, 0:4] = 3
    return labels


def nilearn_voxels(bold, atlas: np.ndarray, roi_affine, fwhm) -> np.ndarray:
    """Return NiftiMasker's signals of each region as its mask, regions in order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.hstack(
            [
                NiftiMasker(
                    nib.Nifti1Image((atlas == value).astype(np.uint8), roi_affine),
                    smoothing_fwhm=fwhm,
                ).fit_transform(str(bold))
                for value in np.unique(atlas[atlas > 0])
            ]
        )


def ours(bold, roi, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = extract_timeseries([str(bold)], str(roi), as_voxels=True, **kwargs)
    return out.timeseries[0].data.to_numpy(), out.timeseries[0].columns


@pytest.mark.parametrize("fwhm", FWHMS, ids=lambda f: f"fwhm={f}")
@pytest.mark.parametrize("grid", ["same", "larger_fov", "other_grid", "rotated"])
@pytest.mark.parametrize("single", [False, True], ids=["atlas", "mask"])
def test_as_voxels_equals_nifti_masker_per_region(
    tmp_path, bold_file, affine, grid, single, fwhm
):
    shape, roi_affine = roi_grid(grid, affine)
    atlas = regions(shape, single)
    roi = tmp_path / "roi.nii.gz"
    nib.Nifti1Image(atlas, roi_affine).to_filename(roi)
    got, columns = ours(bold_file, roi, smoothing_fwhm=fwhm)
    expected = nilearn_voxels(bold_file, atlas, roi_affine, fwhm)
    names = ["roi"] if single else ["1", "2", "3"]  # no labels: the values
    assert columns == [
        f"{name}_{i}_{j}_{k}"
        for value, name in enumerate(names, start=1)
        for i, j, k in np.argwhere(atlas == value)
    ]
    np.testing.assert_allclose(
        got, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max()
    )


@pytest.mark.parametrize("fwhm", FWHMS, ids=lambda f: f"fwhm={f}")
def test_sphere_voxels_equal_nifti_masker_per_sphere(tmp_path, bold_file, affine, fwhm):
    seeds = SEEDS[:2]
    roi = write_seeds(tmp_path / "seeds.tsv", seeds, name=["p", "q"])
    got, _ = ours(bold_file, roi, radius=5.0, smoothing_fwhm=fwhm)
    img = nib.load(bold_file)
    _, adjacency = apply_mask_and_get_affinity(seeds, img, 5.0, False)
    spheres = np.zeros((len(seeds), *img.shape[:3]), dtype=np.int16)
    for sphere, row in enumerate(adjacency.rows):
        spheres[sphere].flat[row] = 1  # C-order indices, as nilearn's
    expected = np.hstack(
        [nilearn_voxels(bold_file, sphere, affine, fwhm) for sphere in spheres]
    )
    np.testing.assert_allclose(
        got, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max()
    )
