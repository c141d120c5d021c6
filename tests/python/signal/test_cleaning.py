"""Cleaning without nilearn.signal: equal to nilearn.signal.clean, imports neither."""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import signal as sp_signal

from niimasker_core.signal import cleaning
from niimasker_core.signal.butterworth import butter_sos, sosfiltfilt


def nilearn_path(monkeypatch, signals, **kwargs):
    """clean_signals through nilearn.signal.clean (the reference)."""
    with monkeypatch.context() as patch:
        patch.setattr(cleaning, "native_applies", lambda **_: False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cleaning.clean_signals(signals, **kwargs)


def series(n_volumes, n_columns, dtype, seed=0):
    rng = np.random.default_rng(seed)
    trend = np.linspace(0, 3, n_volumes)[:, None]
    data = 100 + trend + rng.standard_normal((n_volumes, n_columns)) * 2
    return data.astype(dtype)


def confounds(n_volumes, seed=1, duplicate=False):
    rng = np.random.default_rng(seed)
    conf = rng.standard_normal((n_volumes, 6)).cumsum(axis=0)
    if duplicate:  # rank-deficient: the pivoted QR drops a column
        conf = np.column_stack([conf, conf[:, 0] * 2.0])
    return conf


FILTERS = [(None, None), (0.01, None), (None, 0.1), (0.01, 0.1), (0.1, 0.2)]
CASES = list(
    itertools.product(
        [np.float32, np.float64],
        [False, True],  # detrend
        [None, "zscore_sample", "zscore"],
        FILTERS,
        [None, "plain", "rank_deficient"],
    )
)


@pytest.mark.parametrize(
    ("dtype", "detrend", "standardize", "cutoffs", "regressors"),
    CASES,
    ids=[
        f"{np.dtype(d).name}-detrend={t}-{s}-hp={c[0]}-lp={c[1]}-{r}"
        for d, t, s, c, r in CASES
    ],
)
def test_equals_nilearn_clean(
    monkeypatch, dtype, detrend, standardize, cutoffs, regressors
):
    n_volumes = 120
    signals = series(n_volumes, 9, dtype)
    conf = (
        None
        if regressors is None
        else confounds(n_volumes, duplicate=regressors == "rank_deficient")
    )
    kwargs = dict(
        t_r=2.0,
        detrend=detrend,
        standardize=standardize,
        standardize_confounds=True,
        high_pass=cutoffs[0],
        low_pass=cutoffs[1],
        confounds=conf,
        clean_kwargs=None,
    )
    assert cleaning.native_applies(
        **{
            k: kwargs[k]
            for k in (
                "t_r",
                "detrend",
                "standardize",
                "standardize_confounds",
                "high_pass",
                "low_pass",
                "confounds",
                "clean_kwargs",
            )
        },
        sample_mask=None,
    )
    got = cleaning.clean_signals(signals, **kwargs)
    expected = nilearn_path(monkeypatch, signals, **kwargs)
    assert got.dtype == expected.dtype
    scale = max(np.abs(expected).max(), 1.0)
    tol = 2e-6 if dtype == np.float32 and cutoffs == (None, None) else 1e-10
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale)


def test_confounds_without_standardizing_them(monkeypatch):
    signals = series(80, 5, np.float64)
    kwargs = dict(
        t_r=2.0, detrend=True, standardize="zscore_sample", standardize_confounds=False,
        high_pass=0.01, low_pass=None, confounds=confounds(80), clean_kwargs=None,
    )  # fmt: skip
    got = cleaning.clean_signals(signals, **kwargs)
    np.testing.assert_allclose(
        got, nilearn_path(monkeypatch, signals, **kwargs), atol=1e-10
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_columns_become_zero_when_detrended(monkeypatch, dtype):
    signals = series(90, 4, dtype)
    signals[:, 1] = 7.0
    kwargs = dict(t_r=2.0, detrend=True, standardize="zscore_sample", high_pass=0.01)
    got = cleaning.clean_signals(signals, **kwargs)
    np.testing.assert_array_equal(got, nilearn_path(monkeypatch, signals, **kwargs))
    assert np.abs(got[:, 1]).max() < 1e-6


def test_all_nan_columns_stay_nan():
    signals = series(60, 4, np.float32)
    signals[:, 2] = np.nan
    got = cleaning.clean_signals(
        signals, t_r=2.0, detrend=True, standardize="zscore_sample"
    )
    assert np.isnan(got[:, 2]).all() and np.isfinite(np.delete(got, 2, axis=1)).all()


@pytest.mark.parametrize(
    "settings",
    [
        {"standardize": "psc"},
        {"sample_mask": np.arange(0, 60, 2)},
        {"clean_kwargs": {"filter": "cosine"}, "high_pass": 0.01},
        {"high_pass": 0.3},  # above Nyquist (0.25 Hz): nilearn lowers it with a warning
        {"confounds": confounds(60), "detrend": False, "standardize_confounds": False},
    ],
    ids=["psc", "sample_mask", "cosine", "above_nyquist", "unstandardized_confounds"],
)
def test_other_settings_go_through_nilearn(settings):
    kwargs = {
        "t_r": 2.0, "detrend": True, "standardize": "zscore_sample",
        "standardize_confounds": True, "high_pass": None, "low_pass": None,
        "confounds": None, "sample_mask": None, "clean_kwargs": None, **settings,
    }  # fmt: skip
    assert not cleaning.native_applies(**kwargs)


def test_too_short_to_pad_raises_scipys_error():
    with pytest.raises(ValueError, match="must be greater than padlen, which is 18"):
        cleaning.clean_signals(series(18, 3, np.float64), t_r=2.0, high_pass=0.01)


@pytest.mark.parametrize("order", [1, 2, 4, 5, 7])
@pytest.mark.parametrize(
    ("btype", "cutoffs"),
    [
        ("highpass", [0.008]),
        ("lowpass", [0.08]),
        ("bandpass", [0.01, 0.1]),
        ("bandpass", [0.05, 0.2]),
    ],
)
@pytest.mark.parametrize("t_r", [0.72, 2.0])
def test_butterworth_equals_scipy(order, btype, cutoffs, t_r):
    fs = 1.0 / t_r
    expected = sp_signal.butter(
        order,
        cutoffs if len(cutoffs) == 2 else cutoffs[0],
        btype=btype,
        output="sos",
        fs=fs,
    )
    sos = butter_sos(order, cutoffs, btype, fs)
    np.testing.assert_allclose(sos, expected, rtol=1e-12, atol=1e-15)
    x = series(200, 6, np.float32)
    np.testing.assert_allclose(
        sosfiltfilt(sos, x),
        sp_signal.sosfiltfilt(expected, x, axis=0),
        rtol=1e-10,
        atol=1e-9,
    )


def test_native_cleaning_imports_neither_nilearn_signal_nor_scipy_signal():
    code = (
        "import sys, numpy as np\n"
        "from niimasker_core.signal.cleaning import clean_signals\n"
        "x = np.random.default_rng(0).standard_normal((100, 4)) + 5\n"
        "c = np.random.default_rng(1).standard_normal((100, 3))\n"
        "clean_signals(x, t_r=2.0, detrend=True, standardize='zscore_sample',"
        " high_pass=0.01, low_pass=0.1, confounds=c)\n"
        "print(sorted(m for m in ('nilearn.signal', 'scipy.signal', 'sklearn')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_too_short_a_run_to_filter_is_a_too_few_volumes_error():
    from niimasker_core.errors import TooFewVolumesError
    from niimasker_core.signal.butterworth import butter_sos, sosfiltfilt

    sos = butter_sos(5, [0.01], "highpass", 0.5)
    with pytest.raises(TooFewVolumesError, match="3 are left") as info:
        sosfiltfilt(sos, np.ones((3, 2)))
    assert "high_pass" in info.value.render("command")


def test_runs_of_another_length_is_a_cleaning_error():
    from niimasker_core.errors import CleaningError
    from niimasker_core.signal.operator import clean_columns

    with pytest.raises(CleaningError, match="'runs' gives one run label"):
        clean_columns(np.ones((10, 2)), t_r=2.0, runs=[0, 1], detrend=True)
