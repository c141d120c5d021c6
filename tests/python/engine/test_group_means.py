"""Group means (surface and grayordinate regions): dense and sparse memberships agree."""

import numpy as np
import pytest

from niimasker_core.engine import group_means
from niimasker_core.engine.group_means import GroupMeans


def _means(monkeypatch, dense_columns, values, groups, n_columns, nan_policy, pieces):
    monkeypatch.setattr(group_means, "_DENSE_COLUMNS", dense_columns)
    means = GroupMeans(groups, n_columns, values.shape[0], nan_policy)
    for samples in pieces:
        means.add(values[:, samples], slice(None), samples)
    return means.finish("run.func.gii", [str(c) for c in range(n_columns)], 0)


@pytest.mark.parametrize("nan_policy", ["zero", "omit"])
@pytest.mark.parametrize("n_columns", [3, 40])
def test_dense_and_sparse_membership_give_the_reference(
    monkeypatch, nan_policy, n_columns
):
    rng = np.random.default_rng(3)
    groups = rng.integers(0, n_columns, 500)
    values = rng.standard_normal((12, 500)).astype(np.float32)
    values[:, :7] = 0  # no signal: left out of the means
    values[:, 7] = np.nan  # non-finite in every volume: left out too
    values[4, 8] = np.inf  # in one volume only
    pieces = [np.arange(0, 200), np.arange(200, 500)]
    expected = np.full((12, n_columns), np.nan)
    kept = np.ones(500, dtype=bool)
    kept[:8] = False
    for column in range(n_columns):
        cols = values[:, (groups == column) & kept].astype(np.float64)
        if nan_policy == "zero":
            cols = np.where(np.isfinite(cols), cols, 0)
            expected[:, column] = cols.mean(axis=1) if cols.shape[1] else np.nan
        else:
            with np.errstate(invalid="ignore"):
                expected[:, column] = np.nanmean(
                    np.where(np.isfinite(cols), cols, np.nan), axis=1
                )
    dense = _means(monkeypatch, 10_000, values, groups, n_columns, nan_policy, pieces)
    sparse = _means(monkeypatch, 0, values, groups, n_columns, nan_policy, pieces)
    for got in (dense, sparse):
        np.testing.assert_allclose(got[0], expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(
            got[1], np.bincount(groups[kept], minlength=n_columns)
        )
    assert np.array_equal(dense[2], sparse[2])


def test_omit_refuses_a_region_left_with_no_sample_in_a_volume():
    from niimasker_core.errors import InputFileError

    values = np.ones((4, 3), dtype=np.float32)
    values[2, 2] = np.nan  # region 1's only sample, in volume 2 only
    means = GroupMeans(np.array([0, 0, 1]), 2, 4, "omit")
    means.add(values, slice(None), None)
    with pytest.raises(InputFileError) as caught:
        means.finish("run.func.gii", ["Vis", "SomMot"], 5)
    message = str(caught.value)
    assert "run.func.gii" in message and "SomMot" in message
    assert "volume 7" in message and "nan_policy='zero'" in message
