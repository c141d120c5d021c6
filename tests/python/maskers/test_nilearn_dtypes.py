"""The drop-ins return nilearn's dtype when no ``dtype`` is given (issue 21, item 13).

nilearn's dtype comes from its pipeline (resampling and smoothing make integers
float, the extraction and ``signal.clean`` have their own rules), so integer
images, resampling and float64 maps are where a float64 result used to differ.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn import maskers as nilearn_maskers

from niimasker_core import maskers

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])
COARSE = np.diag([6.0, 6.0, 6.0, 1.0])


def _bold(dtype) -> nib.Nifti1Image:
    rng = np.random.default_rng(0)
    data = 100 + rng.normal(0, 5, (7, 8, 9, 10))
    return nib.Nifti1Image(data.astype(dtype), AFFINE)


def _regions():
    rng = np.random.default_rng(1)
    return {
        "labels": (
            "NiftiLabelsMasker",
            {
                "labels_img": nib.Nifti1Image(
                    rng.integers(0, 4, (7, 8, 9)).astype(np.int16), AFFINE
                )
            },
        ),
        "labels to labels": (
            "NiftiLabelsMasker",
            {
                "labels_img": nib.Nifti1Image(
                    rng.integers(0, 4, (4, 4, 5)).astype(np.int16), COARSE
                ),
                "resampling_target": "labels",
            },
        ),
        "maps": (
            "NiftiMapsMasker",
            {
                "maps_img": nib.Nifti1Image(
                    rng.random((7, 8, 9, 3)).astype(np.float32), AFFINE
                )
            },
        ),
        "maps float64": (
            "NiftiMapsMasker",
            {"maps_img": nib.Nifti1Image(rng.random((7, 8, 9, 3)), AFFINE)},
        ),
        "maps uint8": (
            "NiftiMapsMasker",
            {
                "maps_img": nib.Nifti1Image(
                    (rng.random((7, 8, 9, 3)) > 0.5).astype(np.uint8), AFFINE
                )
            },
        ),
        "maps to maps": (
            "NiftiMapsMasker",
            {
                "maps_img": nib.Nifti1Image(
                    rng.random((4, 4, 5, 3)).astype(np.float32), COARSE
                ),
                "resampling_target": "maps",
            },
        ),
        "maps to data": (
            "NiftiMapsMasker",
            {
                "maps_img": nib.Nifti1Image(
                    rng.random((4, 4, 5, 3)).astype(np.float32), COARSE
                )
            },
        ),
        "spheres": (
            "NiftiSpheresMasker",
            {"seeds": [(3, 3, 3), (9, 9, 9)], "radius": 4},
        ),
        "spheres smoothed": (
            "NiftiSpheresMasker",
            {"seeds": [(3, 3, 3), (9, 9, 9)], "radius": 4, "smoothing_fwhm": 4},
        ),
    }


REGIONS = _regions()


@pytest.mark.parametrize(
    "source", ["int8", "uint8", "int16", "int32", "float32", "float64"]
)
@pytest.mark.parametrize("kind", list(REGIONS))
def test_dtype_follows_nilearn(kind, source):
    name, kwargs = REGIONS[kind]
    img = _bold(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(nilearn_maskers, name)(**kwargs).fit_transform(img)
        got = getattr(maskers, name)(**kwargs).fit_transform(img)
    assert got.dtype == expected.dtype
    if name == "NiftiSpheresMasker" and np.dtype(source).kind in "iu":
        # on purpose: exact sphere means, where nilearn truncates them to the
        # image's integer dtype (README, "Where it differs from nilearn")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = getattr(nilearn_maskers, name)(**kwargs).fit_transform(
                nib.Nifti1Image(img.get_fdata(), AFFINE)
            )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("kind", ["labels to labels", "maps", "spheres"])
def test_a_given_dtype_wins(kind):
    name, kwargs = REGIONS[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(maskers, name)(**kwargs, dtype="float64").fit_transform(
            _bold("int16")
        )
    assert got.dtype == np.float64
