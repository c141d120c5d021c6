"""Oracle tests: our labels extraction equals nilearn's NiftiLabelsMasker."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import make_bold
from nilearn.maskers import NiftiLabelsMasker

from niimasker_core.faces.api import extract_timeseries

CASES = [
    {},
    {"detrend": True},
    {"standardize": "zscore_sample"},
    {"standardize": "psc"},
    {"detrend": True, "high_pass": 0.01, "t_r": 2.0},
    {"low_pass": 0.1, "high_pass": 0.02, "t_r": 2.0, "standardize": "zscore_sample"},
    {"smoothing_fwhm": 6.0},
    {"smoothing_fwhm": 5.0, "detrend": True, "standardize": "zscore_sample"},
]


def nilearn_labels(bold, atlas, confounds=None, discard=0, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masker = NiftiLabelsMasker(atlas, **kwargs)
        from nilearn.image import index_img

        img = index_img(str(bold), slice(discard, None)) if discard else str(bold)
        return masker.fit_transform(img, confounds=confounds)


def ours(bold, atlas, **kwargs):
    out = extract_timeseries([str(bold)], str(atlas), **kwargs)
    return out.timeseries[0].data.to_numpy()


@pytest.mark.parametrize(
    "settings", CASES, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "raw"
)
def test_labels_equal_nilearn(bold_file, atlas_file, settings):
    expected = nilearn_labels(bold_file, atlas_file, **settings)
    got = ours(bold_file, atlas_file, **settings)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )


def test_confounds_and_discard_equal_nilearn(bold_file, atlas_file, confounds_file):
    table = pd.read_csv(confounds_file, sep="\t", na_values="n/a")
    columns = ["trans_x", "trans_y", "rot_z", "csf"]
    settings = {
        "detrend": True,
        "standardize": "zscore_sample",
        "high_pass": 0.01,
        "t_r": 2.0,
    }
    expected = nilearn_labels(
        bold_file,
        atlas_file,
        confounds=table[columns].iloc[3:].to_numpy(),
        discard=3,
        **settings,
    )
    got = ours(
        bold_file,
        atlas_file,
        regressor_files=[str(confounds_file)],
        regressors=columns,
        discard_scans=3,
        **settings,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("standardize", [True, "zscore"])
def test_zscore_is_population_std(bold_file, atlas_file, standardize):
    raw = nilearn_labels(bold_file, atlas_file, detrend=True)
    centered = raw - raw.mean(axis=0)
    expected = centered / centered.std(axis=0, ddof=0)
    got = ours(bold_file, atlas_file, detrend=True, standardize=standardize)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.std(axis=0, ddof=0), 1.0, rtol=1e-6)


# --- inputs of every kind: the same numbers as nilearn ------------------------------
RAW_EXACT = {}  # raw means (no cleaning): bit-identical to nilearn
CLEANED = {
    "detrend": True,
    "standardize": "zscore_sample",
    "high_pass": 0.02,
    "t_r": 2.0,
}


def _write(tmp_path, name, data, affine, dtype=None):
    img = nib.Nifti1Image(data, affine)
    if dtype is not None:
        img.header.set_data_dtype(dtype)
    path = tmp_path / name
    img.to_filename(path)
    return path


def _assert_matches(got, expected, exact):
    if exact:
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )


@pytest.mark.parametrize("settings", [RAW_EXACT, CLEANED], ids=["raw", "cleaned"])
@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_int16_with_scaling(tmp_path, rng, affine, atlas_file, settings, suffix):
    data = make_bold(rng, affine).get_fdata()
    path = _write(tmp_path, f"int16{suffix}", data, affine, dtype=np.int16)
    proxy = nib.load(str(path)).dataobj
    slope, inter = proxy.slope, proxy.inter
    assert (slope, inter) != (1.0, 0.0)  # nibabel scaled the data into int16
    expected = nilearn_labels(path, atlas_file, **settings)
    _assert_matches(ours(path, atlas_file, **settings), expected, exact=not settings)


@pytest.mark.parametrize("settings", [RAW_EXACT, CLEANED], ids=["raw", "cleaned"])
def test_uncompressed_float32(tmp_path, rng, affine, atlas_file, settings):
    path = tmp_path / "bold.nii"
    make_bold(rng, affine).to_filename(path)
    expected = nilearn_labels(path, atlas_file, **settings)
    _assert_matches(ours(path, atlas_file, **settings), expected, exact=not settings)


@pytest.mark.parametrize("settings", [RAW_EXACT, CLEANED], ids=["raw", "cleaned"])
def test_float64_image(tmp_path, rng, affine, atlas_file, settings):
    img = make_bold(rng, affine, dtype=np.float64)
    img.header.set_data_dtype(np.float64)
    path = tmp_path / "bold64.nii.gz"
    img.to_filename(path)
    expected = nilearn_labels(path, atlas_file, **settings)
    assert expected.dtype == np.float64
    _assert_matches(ours(path, atlas_file, **settings), expected, exact=not settings)


@pytest.mark.parametrize("settings", [RAW_EXACT, CLEANED], ids=["raw", "cleaned"])
def test_atlas_on_another_grid_is_resampled_nearest(
    tmp_path, rng, affine, bold_file, settings
):
    # a finer, shifted atlas grid: nilearn resamples it to the image (nearest)
    fine = affine.copy()
    fine[:3, :3] = np.diag([2.0, 2.5, 3.0])
    fine[:3, 3] += [0.7, -1.1, 0.4]
    labels = rng.integers(0, 7, (10, 11, 12)).astype(np.int16)
    atlas = _write(tmp_path, "fine_atlas.nii.gz", labels, fine)
    expected = nilearn_labels(bold_file, atlas, **settings)
    got = ours(bold_file, atlas, **settings)
    assert got.shape == expected.shape
    _assert_matches(got, expected, exact=not settings)


def test_unscaled_int16_image(tmp_path, rng, affine, atlas_file):
    data = rng.integers(-3000, 3000, (7, 8, 9, 30)).astype(np.int16)
    path = _write(tmp_path, "int16.nii.gz", data, affine)
    expected = nilearn_labels(path, atlas_file)
    got = ours(path, atlas_file)
    np.testing.assert_array_equal(got, expected.astype(np.float64))
    cleaned = nilearn_labels(path, atlas_file, **CLEANED)
    _assert_matches(ours(path, atlas_file, **CLEANED), cleaned, exact=False)
