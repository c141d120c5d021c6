"""The ``tangent`` kind against nilearn 0.14's ConnectivityMeasure and ``_geometric_mean``.

The batch is split between threads (one part per core), so these tests run
it with more parts than images, with uneven parts, and with a mean that takes
several iterations; nilearn's result is not its converged mean, so equal
numbers need nilearn's very iterates.
"""

from __future__ import annotations

import numpy as np
import pytest
from nilearn.connectome import ConnectivityMeasure
from nilearn.connectome.connectivity_matrices import _geometric_mean
from sklearn.covariance import EmpiricalCovariance, LedoitWolf

from niimasker_core.engine import parts
from niimasker_core.errors import ConnectivityError
from niimasker_core.signal.tangent import geometric_mean, tangent_connectomes

ESTIMATORS = {
    "empirical": EmpiricalCovariance,
    "ledoitwolf": lambda: LedoitWolf(store_precision=False),
}


def _tables(rng: np.random.Generator, n: int, regions: int = 7) -> list:
    mixing = rng.standard_normal((regions, regions))
    return [
        rng.standard_normal((3 * regions + 4 * i, regions)) @ mixing
        + 10 * rng.random(regions)
        for i in range(n)
    ]


def _nilearn(tables: list, estimator: str) -> np.ndarray:
    measure = ConnectivityMeasure(kind="tangent", cov_estimator=ESTIMATORS[estimator]())
    return measure.fit_transform(tables)


def _close(ours: np.ndarray, ref: np.ndarray) -> None:
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_tangent_over_the_batch_equals_nilearn(rng, estimator):
    tables = _tables(rng, n=4)
    ours = tangent_connectomes(tables, [str(i) for i in range(7)], estimator)
    for matrix, table, expected in zip(ours, tables, _nilearn(tables, estimator)):
        assert matrix["tangent"].n_volumes == table.shape[0]
        assert matrix["tangent"].left_out == []
        _close(matrix["tangent"].values, expected)


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
def test_every_split_between_threads_gives_nilearn_in_order(rng, monkeypatch, cores):
    monkeypatch.setattr(parts, "usable_cores", lambda: cores)
    tables = _tables(rng, n=5, regions=12)  # 5 images: uneven parts, or 1 per part
    ours = tangent_connectomes(tables, [str(i) for i in range(12)], "empirical")
    for matrix, expected in zip(ours, _nilearn(tables, "empirical")):
        _close(matrix["tangent"].values, expected)


def test_a_mean_of_several_iterations_equals_nilearns_iterates(rng):
    # Covariances far apart: nilearn stops after several steps, short of the
    # converged mean, and ours must stop at the same iterate.
    tables = [t * s for t, s in zip(_tables(rng, n=6, regions=9), [1, 5, 0.2, 9, 1, 3])]
    covariances = [np.cov(t, rowvar=False, bias=True) for t in tables]
    iterates = [_geometric_mean(covariances, max_iter=i) for i in (1, 2, 30)]
    assert not np.allclose(iterates[0], iterates[2], rtol=1e-6)
    for max_iter, expected in zip((1, 2, 30), iterates):
        _close(geometric_mean(covariances, max_iter=max_iter), expected)
    ours = tangent_connectomes(tables, [str(i) for i in range(9)], "empirical")
    for matrix, expected in zip(ours, _nilearn(tables, "empirical")):
        _close(matrix["tangent"].values, expected)


def test_geometric_mean_equals_nilearn_with_a_tolerance(rng):
    covariances = [np.cov(t, rowvar=False) for t in _tables(rng, n=3, regions=5)]
    for tol in (1e-3, 1e-7, None):
        expected = _geometric_mean(covariances, tol=tol)
        _close(geometric_mean(covariances, tol=0.0 if tol is None else tol), expected)


def test_a_region_not_finite_in_one_image_is_left_out_of_every_matrix(rng):
    tables = _tables(rng, n=3)
    tables[1][4, 2] = np.nan
    ours = tangent_connectomes(tables, [f"r{i}" for i in range(7)], "ledoitwolf")
    kept = [np.delete(t, 2, axis=1) for t in tables]
    for matrix, expected in zip(ours, _nilearn(kept, "ledoitwolf")):
        values = matrix["tangent"].values
        assert matrix["tangent"].left_out == ["r2"]
        assert np.isnan(values[2]).all() and np.isnan(values[:, 2]).all()
        _close(np.delete(np.delete(values, 2, 0), 2, 1), expected)


def test_a_singular_covariance_names_its_image_and_the_fix(rng):
    tables = _tables(rng, n=3)
    tables[2] = tables[2][:5]  # fewer volumes than regions
    with pytest.raises(ConnectivityError, match="ledoitwolf") as caught:
        tangent_connectomes(
            tables, list("abcdefg"), "empirical", ["a.nii", "b.nii", "c.nii"]
        )
    assert caught.value.file == "c.nii"
    ok = tangent_connectomes(tables, list("abcdefg"), "ledoitwolf")
    assert all(np.isfinite(m["tangent"].values).all() for m in ok)


def test_tangent_of_one_image_is_an_error(rng):
    with pytest.raises(ConnectivityError, match="two or more images"):
        tangent_connectomes(_tables(rng, n=1), list("abcdefg"), "empirical")
