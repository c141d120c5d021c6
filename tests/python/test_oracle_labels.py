"""Oracle tests: our labels extraction equals nilearn's NiftiLabelsMasker."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiLabelsMasker

from niimasker_core.api import extract_timeseries, timeseries_to_array

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
    return timeseries_to_array(out["timeseries"][0])


@pytest.mark.parametrize("settings", CASES, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "raw")
def test_labels_equal_nilearn(bold_file, atlas_file, settings):
    expected = nilearn_labels(bold_file, atlas_file, **settings)
    got = ours(bold_file, atlas_file, **settings)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_confounds_and_discard_equal_nilearn(bold_file, atlas_file, confounds_file):
    table = pd.read_csv(confounds_file, sep="\t", na_values="n/a")
    columns = ["trans_x", "trans_y", "rot_z", "csf"]
    settings = {"detrend": True, "standardize": "zscore_sample", "high_pass": 0.01, "t_r": 2.0}
    expected = nilearn_labels(
        bold_file, atlas_file, confounds=table[columns].iloc[3:].to_numpy(), discard=3, **settings
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
