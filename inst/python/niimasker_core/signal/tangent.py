"""The ``tangent`` kind: each covariance in the tangent space at the batch's geometric mean.

nilearn 0.14's ``ConnectivityMeasure(kind='tangent')``: the geometric mean
``G`` of the batch's covariances is found by nilearn's gradient descent
(``_geometric_mean``: from the arithmetic mean, 30 iterations at most,
tolerance 1e-7, the same iterates), and each image's matrix is
``log(G^-1/2 C G^-1/2)``.

The cost is one eigendecomposition of every covariance per iteration, and one
more at the end: with 100 images of 400 regions, about 400 eigendecompositions
of 400 x 400 matrices. Three things keep it small, none changing the numbers
beyond rounding:

- each covariance is kept as its Cholesky factor ``R`` (``C = R R^T``), so a
  whitened covariance is one product and a symmetric rank-k update
  (``(A R)(A R)^T``), where ``A C A`` is two products; with ``A`` a Cholesky
  factor's inverse, that product is of two triangular matrices (40% of a
  plain one);
- a step whitens with the mean's Cholesky factor ``L`` instead of its
  symmetric square root (see :func:`geometric_mean`), which needs no
  eigendecomposition of the mean;
- the images are split between the process's cores
  (:func:`~niimasker_core.engine.parts.in_parts`): two eigendecompositions at
  once on one BLAS thread each are faster than one on two.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine.parts import in_parts
from ..errors import ConnectivityError
from .connectivity import Connectome, _embed, _finite_columns, _singular, covariance

__all__ = ["geometric_mean", "require_two_tables", "tangent_connectomes"]


def require_two_tables(count: int) -> None:
    """Refuse ``tangent`` over fewer than two tables (images).

    Raises
    ------
    ConnectivityError
        Naming the fix.
    """
    if count < 2:
        raise ConnectivityError(
            "{parameter} 'tangent' is relative to the batch's mean, so it needs "
            "two or more images; got {count}.",
            parameter="connectivity",
            count=count,
            fix="Give two or more images, or leave 'tangent' out of {parameter}.",
        )


def _log_map(values: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Return ``V diag(log w) V^T`` as two symmetric rank-k updates (half a product each)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(values)
    positive = logs > 0
    if not np.isfinite(logs).all():  # a zero or negative eigenvalue: NaN, as nilearn
        return (vectors * logs) @ vectors.T
    up = vectors[:, positive] * np.sqrt(logs[positive])
    down = vectors[:, ~positive] * np.sqrt(-logs[~positive])
    return up @ up.T - down @ down.T  # numpy runs ``a @ a.T`` as one syrk


def _lower_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``a @ b`` for lower triangular ``a`` and ``b``, in about 40% of the time.

    The product is lower triangular: by halves, its diagonal blocks are the
    halves' products (recursively) and its lower block two plain products;
    the upper block is zero. Below 128 rows one product is faster.
    """
    n = a.shape[0]
    if n <= 128:
        return a @ b
    h = n // 2
    out = np.zeros_like(a)
    out[:h, :h] = _lower_product(a[:h, :h], b[:h, :h])
    out[h:, h:] = _lower_product(a[h:, h:], b[h:, h:])
    out[h:, :h] = a[h:, :h] @ b[:h, :h] + a[h:, h:] @ b[h:, :h]
    return out


def _whitened_log(factor: np.ndarray, whitening: np.ndarray, lower: bool) -> np.ndarray:
    """Return ``log(A R R^T A^T)``: ``R`` is ``factor``, ``A`` is ``whitening``.

    ``lower``: ``A`` is lower triangular (a Cholesky factor's inverse), as
    ``R`` is; else ``A`` is any matrix (the final, symmetric whitening).
    """
    product = _lower_product(whitening, factor) if lower else whitening @ factor
    return _log_map(*np.linalg.eigh(product @ product.T))


def _whitened_logs(
    factors: Sequence[np.ndarray], whitening: np.ndarray
) -> list[np.ndarray]:
    """Return :func:`_whitened_log` of each factor, ``whitening`` symmetric."""
    return [_whitened_log(factor, whitening, lower=False) for factor in factors]


def _whitened_log_sum(
    factors: Sequence[np.ndarray], whitening: np.ndarray
) -> np.ndarray:
    """Return the sum of each factor's :func:`_whitened_log`, ``whitening`` lower."""
    total = np.zeros_like(whitening)
    for factor in factors:
        total += _whitened_log(factor, whitening, lower=True)
    return total


def _geometric_mean(
    factors: Sequence[np.ndarray], start: np.ndarray, max_iter: int, tol: float
) -> np.ndarray:
    gmean = start
    norm_old = np.inf
    step = 1.0
    for _ in range(max_iter):
        lower = np.linalg.cholesky(gmean)
        total = sum(in_parts(_whitened_log_sum, factors, np.linalg.inv(lower)))
        logs_mean = total / len(factors)
        if np.any(np.isnan(logs_mean)):
            raise FloatingPointError("NaN after the matrix logarithm.")
        norm = np.linalg.norm(logs_mean)
        vals_log, vecs_log = np.linalg.eigh(logs_mean)
        gmean = lower @ ((vecs_log * np.exp(vals_log * step)) @ vecs_log.T) @ lower.T
        if norm < norm_old:
            norm_old = norm
        elif norm > norm_old:
            step /= 2.0
            norm = norm_old
        if norm / gmean.size < tol:
            break
    return gmean


def geometric_mean(
    matrices: Sequence[np.ndarray], max_iter: int = 30, tol: float = 1e-7
) -> np.ndarray:
    """Return the geometric mean of symmetric positive definite matrices.

    nilearn's ``_geometric_mean`` (Fletcher 2007, Algorithm 3): gradient
    descent from the arithmetic mean, the step halved when the gradient's
    norm grows, stopped when that norm over the matrix's size is below
    ``tol``. Each step is nilearn's with the Cholesky factor ``L`` of the
    mean ``G`` in place of its symmetric square root: ``L^-1 C L^-T`` is
    ``G^-1/2 C G^-1/2`` turned by the orthogonal ``Q = G^1/2 L^-T``, so the
    mean ``X`` of their logarithms has the same norm, and ``L exp(step X)
    L^T`` is nilearn's ``G^1/2 exp(step Q X Q^T) G^1/2``.

    Parameters
    ----------
    matrices : sequence of numpy.ndarray
        Square matrices of one size, each symmetric positive definite.
    max_iter : int
        Iterations at most (nilearn's ``ConnectivityMeasure`` uses 30).
    tol : float
        Tolerance on the gradient's norm per element.

    Returns
    -------
    numpy.ndarray
        The mean.

    Raises
    ------
    numpy.linalg.LinAlgError
        If a matrix is not positive definite.
    """
    stack = [np.asarray(m, dtype=np.float64) for m in matrices]
    factors = [np.linalg.cholesky(m) for m in stack]
    return _geometric_mean(factors, sum(stack) / len(stack), max_iter, tol)


def _covariance_factors(
    named: Sequence[tuple[np.ndarray, str]], keep: np.ndarray, estimator: str
) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the Cholesky factor of each table's covariance, and their sum.

    Raises
    ------
    ConnectivityError
        For a covariance that is not positive definite, naming its image.
    """
    factors = []
    total = np.zeros((int(keep.sum()),) * 2)
    for values, image in named:
        matrix = covariance(values if keep.all() else values[:, keep], estimator)
        try:
            factors.append(np.linalg.cholesky(matrix))
        except np.linalg.LinAlgError:
            raise _singular(image, int(keep.sum()), values.shape[0]) from None
        total += matrix
    return factors, total


def tangent_connectomes(
    tables: Sequence[np.ndarray],
    columns: Sequence[str],
    estimator: str,
    images: Sequence[str] = (),
) -> list[dict[str, Connectome]]:
    """Return each table's ``tangent`` matrix, relative to their geometric mean.

    Regions with a non-finite value in any table are left out of every
    matrix (the tangent space needs one set of regions).

    Parameters
    ----------
    tables : sequence of numpy.ndarray
        Each image's kept volumes, ``(volumes, regions)``, regions alike.
    columns : sequence of str
        The regions' names.
    estimator : str
        ``'empirical'`` or ``'ledoitwolf'``.
    images : sequence of str
        The images, named in errors.

    Returns
    -------
    list of dict
        One per table, in order: ``{'tangent': Connectome}``.

    Raises
    ------
    ConnectivityError
        With fewer than two tables, or a covariance that is not positive
        definite (the first such image is named).
    """
    require_two_tables(len(tables))
    arrays = [np.asarray(t, dtype=np.float64) for t in tables]
    keep = np.logical_and.reduce([_finite_columns(a) for a in arrays])
    left_out = [str(c) for c, k in zip(columns, keep) if not k]
    named = [
        (a, images[i] if i < len(images) else f"table {i + 1}")
        for i, a in enumerate(arrays)
    ]
    parts = in_parts(_covariance_factors, named, keep, estimator)
    factors = [factor for part, _ in parts for factor in part]
    start = sum(total for _, total in parts) / len(factors)
    mean = _geometric_mean(factors, start, max_iter=30, tol=1e-7)
    values, vectors = np.linalg.eigh(mean)
    whitening = (vectors / np.sqrt(values)) @ vectors.T
    logs = [
        log for part in in_parts(_whitened_logs, factors, whitening) for log in part
    ]
    return [
        {"tangent": Connectome("tangent", _embed(log, keep), left_out, a.shape[0])}
        for log, a in zip(logs, arrays)
    ]
