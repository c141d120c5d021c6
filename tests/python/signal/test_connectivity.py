"""Connectivity matrices against their oracles: nilearn 0.14's ConnectivityMeasure and pandas.

Every kind with either estimator equals ``ConnectivityMeasure(kind,
cov_estimator=EmpiricalCovariance() | LedoitWolf(store_precision=False))`` to
1e-8 relative (tangent: ``test_tangent.py``); the empirical correlation equals
``pandas.DataFrame.corr()`` to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nilearn.connectome import ConnectivityMeasure
from sklearn.covariance import EmpiricalCovariance, LedoitWolf

from niimasker_core.errors import ConnectivityError
from niimasker_core.signal.connectivity import (
    covariance,
    image_connectomes,
)

KINDS = ("correlation", "partial correlation", "covariance", "precision")
ESTIMATORS = {
    "empirical": EmpiricalCovariance,
    "ledoitwolf": lambda: LedoitWolf(store_precision=False),
}


def _tables(rng: np.random.Generator, n: int = 3, regions: int = 7) -> list:
    mixing = rng.standard_normal((regions, regions))
    return [
        rng.standard_normal((30 + 4 * i, regions)) @ mixing + 10 * rng.random(regions)
        for i in range(n)
    ]


def _close(ours: np.ndarray, ref: np.ndarray, rtol: float) -> None:
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=0)


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_equals_nilearn(rng, kind, estimator):
    tables = _tables(rng)
    names = [f"r{i}" for i in range(7)]
    measure = ConnectivityMeasure(kind=kind, cov_estimator=ESTIMATORS[estimator]())
    ref = measure.fit_transform(tables)
    for table, expected in zip(tables, ref):
        ours = image_connectomes(table, names, [kind], estimator)[kind]
        assert ours.kind == kind and ours.n_volumes == table.shape[0]
        _close(ours.values, expected, 1e-8)


def test_ledoitwolf_covariance_equals_sklearn(rng):
    (table,) = _tables(rng, n=1, regions=12)
    ref = LedoitWolf(store_precision=False).fit(table).covariance_
    _close(covariance(table, "ledoitwolf"), ref, 1e-10)


def test_empirical_correlation_equals_pandas(rng):
    (table,) = _tables(rng, n=1)
    names = [f"r{i}" for i in range(7)]
    ours = image_connectomes(table, names, ["correlation"], "empirical")["correlation"]
    ref = pd.DataFrame(table, columns=names).corr().to_numpy()
    _close(ours.values, ref, 1e-10)


def test_na_regions_give_na_rows_and_columns(rng):
    (table,) = _tables(rng, n=1)
    table[:, 2] = np.nan
    names = [f"r{i}" for i in range(7)]
    ours = image_connectomes(table, names, ["partial correlation"], "ledoitwolf")[
        "partial correlation"
    ]
    assert ours.left_out == ["r2"]
    assert np.isnan(ours.values[2]).all() and np.isnan(ours.values[:, 2]).all()
    kept = np.delete(table, 2, axis=1)
    ref = ConnectivityMeasure(
        kind="partial correlation", cov_estimator=LedoitWolf(store_precision=False)
    ).fit_transform([kept])[0]
    _close(np.delete(np.delete(ours.values, 2, 0), 2, 1), ref, 1e-8)


def test_fisher_z_is_arctanh_with_an_na_diagonal(rng):
    (table,) = _tables(rng, n=1)
    names = [f"r{i}" for i in range(7)]
    plain = image_connectomes(table, names, ["correlation"], "empirical")["correlation"]
    z = image_connectomes(
        table, names, ["correlation"], "empirical", use_fisher_z=True
    )["correlation"]
    assert z.fisher_z and not plain.fisher_z
    assert np.isnan(np.diag(z.values)).all()
    off = ~np.eye(7, dtype=bool)
    _close(z.values[off], np.arctanh(plain.values[off]), 1e-12)


def test_fisher_z_leaves_covariance_alone(rng):
    (table,) = _tables(rng, n=1)
    cov = image_connectomes(
        table, list("abcdefg"), ["covariance"], "empirical", use_fisher_z=True
    )["covariance"]
    assert not cov.fisher_z and np.isfinite(np.diag(cov.values)).all()


def test_a_singular_covariance_names_the_fix(rng):
    table = rng.standard_normal((5, 7))  # fewer volumes than regions
    with pytest.raises(ConnectivityError, match="ledoitwolf"):
        image_connectomes(table, list("abcdefg"), ["precision"], "empirical", image="x")
    ok = image_connectomes(table, list("abcdefg"), ["precision"], "ledoitwolf")
    ok = ok["precision"]
    assert np.isfinite(ok.values).all()
