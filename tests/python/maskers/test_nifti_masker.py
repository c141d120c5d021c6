"""niimasker_core.NiftiMasker beside nilearn 0.14's NiftiMasker, parameter by parameter."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pytest
from nilearn.maskers import NiftiMasker as NilearnMasker

from niimasker_core import NiftiMasker

N_VOLUMES = 40
AFFINE = np.array([[3.0, 0, 0, -10], [0, 3.0, 0, -12], [0, 0, 3.0, -8], [0, 0, 0, 1]])


def _brain(rng: np.random.Generator, dtype=np.float32, n=N_VOLUMES) -> np.ndarray:
    """A bright ellipsoid on a dark, noisy background, with a drift."""
    x, y, z = np.meshgrid(*(np.linspace(-1, 1, s) for s in (7, 8, 9)), indexing="ij")
    inside = (x**2 + y**2 + z**2) < 0.7
    data = rng.random((7, 8, 9, n)) * 5 + inside[..., None] * 100
    data += rng.standard_normal((7, 8, 9, n)) * inside[..., None] * 4
    data += np.linspace(0, 6, n) * inside[..., None]
    return data.astype(dtype)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20261202)


@pytest.fixture(scope="module")
def img(rng):
    return nib.Nifti1Image(_brain(rng), AFFINE)


@pytest.fixture(scope="module")
def img_file(img, tmp_path_factory):
    path = tmp_path_factory.mktemp("nm") / "bold.nii.gz"
    img.to_filename(path)
    return str(path)


@pytest.fixture(scope="module")
def confounds(rng):
    return rng.standard_normal((N_VOLUMES, 3))


def _mask(box, affine=AFFINE, shape=(7, 8, 9)):
    data = np.zeros(shape, np.uint8)
    data[box] = 1
    return nib.Nifti1Image(data, affine)


COARSE = np.array([[4.0, 0, 0, -9], [0, 4.0, 0, -10], [0, 0, 4.0, -7], [0, 0, 0, 1]])

CASES = {
    "background": {},
    "epi": {"mask_strategy": "epi"},
    "epi_args": {
        "mask_strategy": "epi",
        "mask_args": {"opening": 1, "upper_cutoff": 0.95},
    },
    "whole_brain_template": {"mask_strategy": "whole-brain-template"},
    "gm_template": {"mask_strategy": "gm-template", "mask_args": {"threshold": 0.2}},
    "wm_template": {
        "mask_strategy": "wm-template",
        "mask_args": {"threshold": 0.2, "opening": 0},
    },
    "mask_img": {"mask_img": _mask(np.s_[1:6, 2:7, 1:8])},
    "mask_other_grid": {"mask_img": _mask(np.s_[1:5, 1:5, 1:5], COARSE, (5, 6, 6))},
    "mask_other_grid_smooth": {
        "mask_img": _mask(np.s_[1:5, 1:5, 1:5], COARSE, (5, 6, 6)),
        "smoothing_fwhm": 5.0,
    },
    "target_affine": {"target_affine": np.diag([4.0, 4.0, 4.0])},
    "target_affine_shape": {
        "target_affine": COARSE,
        "target_shape": (6, 6, 7),
    },
    "smoothing": {"smoothing_fwhm": 6.0},
    "detrend": {"detrend": True},
    "zscore_sample": {"standardize": "zscore_sample"},
    "psc": {"standardize": "psc"},
    "high_pass": {"high_pass": 0.02, "t_r": 2.0},
    "low_pass": {"low_pass": 0.15, "t_r": 2.0, "detrend": True},
    "band_confounds": {
        "low_pass": 0.2,
        "high_pass": 0.02,
        "t_r": 2.0,
        "standardize": "zscore_sample",
        "detrend": True,
        "confounds": True,
    },
    "confounds_unstandardized": {"confounds": True, "standardize_confounds": False},
    "high_variance_confounds": {"high_variance_confounds": True},
    "runs": {
        "runs": np.repeat([0, 1], N_VOLUMES // 2),
        "detrend": True,
        "standardize": "zscore_sample",
    },
    "sample_mask": {"sample_mask": np.r_[0:10, 13:N_VOLUMES], "detrend": True},
    "sample_mask_filter": {
        "sample_mask": np.r_[2:10, 13:N_VOLUMES],
        "high_pass": 0.02,
        "t_r": 2.0,
        "standardize": "zscore_sample",
    },
    "clean_args_cosine": {
        "high_pass": 0.02,
        "t_r": 2.0,
        "clean_args": {"filter": "cosine"},
    },
    "dtype_auto": {"dtype": "auto", "standardize": "zscore_sample"},
    "dtype_float64": {"dtype": np.float64, "detrend": True},
}


def _split(case):
    params = dict(CASES[case])
    fit_args = {}
    if params.pop("confounds", False):
        fit_args["confounds"] = "confounds"
    if "sample_mask" in params:
        fit_args["sample_mask"] = params.pop("sample_mask")
    return params, fit_args


def _both(params, fit_args, imgs, confounds):
    kwargs = dict(fit_args)
    if kwargs.get("confounds") == "confounds":
        kwargs["confounds"] = confounds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = NilearnMasker(**params)
        expected = theirs.fit_transform(imgs, **kwargs)
        ours = NiftiMasker(**params)
        got = ours.fit_transform(imgs, **kwargs)
    return theirs, expected, ours, got


def _assert_close(got, expected):
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    scale = max(np.abs(expected).max(), 1e-12)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * scale)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_numbers_as_nilearn(case, img, confounds):
    params, fit_args = _split(case)
    theirs, expected, ours, got = _both(params, fit_args, img, confounds)
    # same mask voxels (hence the same order: both are C order of the mask)
    np.testing.assert_array_equal(
        np.asanyarray(ours.mask_img_.dataobj).astype(bool),
        np.asanyarray(theirs.mask_img_.dataobj).astype(bool),
    )
    np.testing.assert_allclose(ours.mask_img_.affine, theirs.mask_img_.affine)
    np.testing.assert_allclose(ours.affine_, theirs.affine_)
    assert ours.n_elements_ == theirs.n_elements_ > 0
    _assert_close(got, expected)
    inv_ours, inv_theirs = (
        ours.inverse_transform(got),
        theirs.inverse_transform(expected),
    )
    assert inv_ours.shape == inv_theirs.shape
    assert inv_ours.get_data_dtype() == inv_theirs.get_data_dtype()
    _assert_close(np.asanyarray(inv_ours.dataobj), np.asanyarray(inv_theirs.dataobj))


@pytest.mark.parametrize(
    "case", ["background", "mask_other_grid_smooth", "band_confounds", "smoothing"]
)
def test_file_input_streams_to_the_same_numbers(case, img_file, confounds):
    params, fit_args = _split(case)
    _, expected, _, got = _both(params, fit_args, img_file, confounds)
    _assert_close(got, expected)


@pytest.mark.parametrize("dtype", [np.int16, np.float64])
def test_dtypes_follow_nilearn(dtype, rng):
    data = _brain(rng, dtype=np.float64)
    img = nib.Nifti1Image(data.astype(dtype), AFFINE)
    for params in ({}, {"dtype": "auto"}, {"detrend": True, "standardize": "psc"}):
        _, expected, _, got = _both(params, {}, img, None)
        _assert_close(got, expected)


def test_standardize_true_is_population_zscore(img):
    """The one deliberate difference: True (and 'zscore') use ddof 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample = NilearnMasker(standardize="zscore_sample", detrend=True).fit_transform(
            img
        )
    n = sample.shape[0]
    for value in (True, "zscore"):
        got = NiftiMasker(standardize=value, detrend=True).fit_transform(img)
        _assert_close(got, (sample * np.sqrt(n / (n - 1))).astype(sample.dtype))
        np.testing.assert_allclose(got.std(axis=0), 1.0, atol=1e-4)


def test_3d_images_and_lists_of_them(img, tmp_path):
    volumes = [
        nib.Nifti1Image(np.asanyarray(img.dataobj)[..., t], AFFINE) for t in range(5)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = NilearnMasker().fit(img)
    ours = NiftiMasker().fit(img)
    one, one_theirs = ours.transform(volumes[0]), theirs.transform(volumes[0])
    assert one.ndim == 1
    _assert_close(one, one_theirs)
    _assert_close(ours.transform(volumes), theirs.transform(volumes))
    assert ours.inverse_transform(one).shape == (7, 8, 9)
    path = tmp_path / "volume.nii.gz"
    volumes[1].to_filename(path)
    _assert_close(ours.transform(str(path)), theirs.transform(str(path)))


def test_nan_values_become_zero_as_in_nilearn(img, tmp_path):
    data = np.asanyarray(img.dataobj).copy()
    data[3, 4, 4, 2] = np.nan
    bad = nib.Nifti1Image(data, AFFINE)
    path = tmp_path / "nan.nii.gz"
    bad.to_filename(path)
    mask = _mask(np.s_[1:6, 2:7, 1:8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = NilearnMasker(mask_img=mask).fit_transform(bad)
    for source in (bad, str(path)):
        _assert_close(NiftiMasker(mask_img=mask).fit_transform(source), expected)


def test_clean_keyword_arguments_reach_nilearn_clean(img):
    params = {"high_pass": 0.02, "low_pass": 0.2, "t_r": 2.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = NilearnMasker(
            **params, clean_args={"butterworth__padtype": "even"}
        ).fit_transform(img)
        default = NilearnMasker(**params).fit_transform(img)
    ours = NiftiMasker(**params, clean_args={"butterworth__padtype": "even"})
    _assert_close(ours.fit_transform(img), expected)
    assert np.abs(expected - default).max() > 1e-3  # the argument matters
    assert ours.clean_args_ == {"butterworth__padtype": "even"}


def test_errors_as_nilearn():
    with pytest.raises(ValueError, match="mask_strategy"):
        NiftiMasker(mask_strategy="nope").fit(
            nib.Nifti1Image(np.ones((3, 3, 3, 2)), AFFINE)
        )
    with pytest.raises(ValueError, match="imgs"):
        NiftiMasker().fit()
    with pytest.raises(TypeError, match="dtype"):
        NiftiMasker(dtype=bool).fit(nib.Nifti1Image(np.ones((3, 3, 3, 2)), AFFINE))
    with pytest.raises(TypeError, match="not_a_parameter"):
        NiftiMasker(not_a_parameter=1)
    masker = NiftiMasker(mask_img=_mask(np.s_[1:3, 1:3, 1:3])).fit()
    with pytest.raises(ValueError, match="wrong shape"):
        masker.inverse_transform(np.zeros(5))


def test_memory_caches_the_extraction(img, tmp_path):
    masker = NiftiMasker(memory=str(tmp_path), detrend=True).fit(img)
    first = masker.transform(img)
    np.testing.assert_array_equal(masker.transform(img), first)
    assert any(tmp_path.rglob("output.pkl"))
