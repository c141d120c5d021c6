"""A mask that misses the image: the drop-in raises where nilearn raises (issue 19)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from conftest import SHAPE
from nilearn.image.resampling import BoundingBoxError
from nilearn.maskers import NiftiMasker as TheirNiftiMasker

from niimasker_core import NiftiMasker


def mask_at(tmp_path, affine, shift):
    moved = affine.copy()
    moved[:3, 3] += shift
    data = np.zeros(SHAPE, np.uint8)
    data[2:5, 2:6, 2:7] = 1
    path = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(data, moved).to_filename(path)
    return str(path)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("shift", [1000.0, -1000.0, 20.0])
def test_a_far_mask_ends_as_nilearns(tmp_path, bold_file, affine, shift):
    mask = mask_at(tmp_path, affine, shift)
    try:
        theirs = TheirNiftiMasker(mask_img=mask, standardize=None).fit_transform(
            str(bold_file)
        )
    except BoundingBoxError as exc:
        with pytest.raises(BoundingBoxError, match=str(exc)):
            NiftiMasker(mask_img=mask).fit_transform(str(bold_file))
        return
    ours = NiftiMasker(mask_img=mask).fit_transform(str(bold_file))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_a_mask_beyond_the_image_raises_bounding_box_error(tmp_path, bold_file, affine):
    mask = mask_at(tmp_path, affine, 1000.0)
    with pytest.raises(BoundingBoxError):
        NiftiMasker(mask_img=mask).fit_transform(str(bold_file))
