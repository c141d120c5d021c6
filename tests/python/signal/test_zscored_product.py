"""The voxel cleaning's z-scored product (an operator removing constants) against nilearn."""

from __future__ import annotations

import numpy as np
import pytest
from nilearn.signal import clean

from niimasker_core.signal.operator import BLOCK_COLUMNS, clean_columns

T = 50


@pytest.mark.parametrize("standardize", ["zscore_sample", "zscore"])
def test_zscored_voxels_equal_nilearn_and_constants_stay_zero(standardize):
    rng = np.random.default_rng(3)
    n = BLOCK_COLUMNS + 7  # two blocks, the second partial
    signals = (rng.standard_normal((T, n)).cumsum(0) + 300).astype(np.float32)
    signals[:, [0, BLOCK_COLUMNS + 3]] = 42.0  # constant columns, in both blocks
    confounds = rng.standard_normal((T, 3))
    settings = {"detrend": True, "high_pass": 0.02, "t_r": 2.0}
    got = clean_columns(
        signals, standardize=standardize, confounds=confounds, **settings
    )
    expected = clean(
        signals.astype(np.float64),
        standardize="zscore_sample",
        confounds=confounds,
        **settings,
    )
    if standardize == "zscore":  # this project's population z-score (ddof 0)
        expected *= np.sqrt(T / (T - 1))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert not got[:, [0, BLOCK_COLUMNS + 3]].any()  # exactly 0, as nilearn's
    in_place = clean_columns(
        signals.copy(),
        standardize=standardize,
        confounds=confounds,
        in_place=True,
        **settings,
    )
    np.testing.assert_array_equal(in_place, got)
