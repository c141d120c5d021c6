"""``standardize=True`` keeps niimasker's meaning, and every volume drop-in says so,
for files and in-memory images alike (issue 21, item 13)."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest

from niimasker_core import maskers

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])


def _masker(name: str):
    rng = np.random.default_rng(0)
    labels = nib.Nifti1Image(rng.integers(0, 4, (7, 8, 9)).astype(np.int16), AFFINE)
    maps = nib.Nifti1Image(rng.random((7, 8, 9, 2)).astype(np.float32), AFFINE)
    kwargs = {
        "NiftiMasker": {},
        "MultiNiftiMasker": {},
        "NiftiLabelsMasker": {"labels_img": labels},
        "MultiNiftiLabelsMasker": {"labels_img": labels},
        "NiftiMapsMasker": {"maps_img": maps},
        "NiftiSpheresMasker": {"seeds": [(3, 3, 3)], "radius": 4},
    }[name]
    return getattr(maskers, name)(standardize=True, **kwargs)


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "in-memory"])
@pytest.mark.parametrize(
    "name",
    [
        "NiftiMasker",
        "MultiNiftiMasker",
        "NiftiLabelsMasker",
        "MultiNiftiLabelsMasker",
        "NiftiMapsMasker",
        "NiftiSpheresMasker",
    ],
)
def test_standardize_true_warns_for_every_image(name, on_disk, tmp_path):
    rng = np.random.default_rng(1)
    img = nib.Nifti1Image(rng.normal(100, 5, (7, 8, 9, 10)).astype(np.float32), AFFINE)
    if on_disk:
        img.to_filename(tmp_path / "bold.nii.gz")
        img = str(tmp_path / "bold.nii.gz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _masker(name).fit_transform(img)
    meaning = [w for w in caught if "population standard deviation" in str(w.message)]
    assert len(meaning) == 1, [str(w.message) for w in caught]
