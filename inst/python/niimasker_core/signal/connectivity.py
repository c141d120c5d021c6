"""Connectivity matrices of cleaned tables, as nilearn's ``ConnectivityMeasure`` makes them.

nilearn 0.14's ``ConnectivityMeasure(kind, cov_estimator=...)`` written with
numpy alone (no nilearn or scikit-learn at run time): each image's covariance
is scikit-learn's ``EmpiricalCovariance`` (``'empirical'``: centred, divided
by the number of volumes) or ``LedoitWolf(store_precision=False)``
(``'ledoitwolf'``); ``correlation`` first z-scores each column with the
sample standard deviation (nilearn's ``standardize=True``), so its empirical
form is Pearson's correlation (``pandas.DataFrame.corr()``); ``precision``
and ``partial correlation`` invert the covariance. ``tangent``, a batch's
kind, is :mod:`niimasker_core.signal.tangent`.

Columns with a non-finite value (regions with no voxels, ``n/a`` in the
table) are left out of the computation and given ``NaN`` rows and columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConnectivityError

__all__ = [
    "INVERTING_KINDS",
    "Connectome",
    "covariance",
    "fisher_z",
    "image_connectomes",
]

#: Kinds that invert the covariance: a singular one cannot give them.
INVERTING_KINDS = ("partial correlation", "precision", "tangent")
_CORRELATIONS = ("correlation", "partial correlation")


@dataclass(frozen=True)
class Connectome:
    """One connectivity matrix of one table.

    Attributes
    ----------
    kind : str
        nilearn's kind (``'partial correlation'``, ...).
    values : numpy.ndarray
        ``(regions, regions)``; NaN rows and columns for the regions left out.
    left_out : list of str
        The regions with a non-finite value in the table.
    n_volumes : int
        The volumes (rows) it was computed from.
    fisher_z : bool
        Whether the values are ``arctanh`` of correlations.
    """

    kind: str
    values: np.ndarray
    left_out: list[str]
    n_volumes: int
    fisher_z: bool = False


def covariance(x: np.ndarray, estimator: str) -> np.ndarray:
    """Return the covariance of ``x`` (volumes x regions) as scikit-learn estimates it.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_volumes, n_regions)`` finite values.
    estimator : str
        ``'empirical'`` (``EmpiricalCovariance``) or ``'ledoitwolf'``
        (``LedoitWolf(store_precision=False)``).

    Returns
    -------
    numpy.ndarray
        ``(n_regions, n_regions)``.
    """
    centred = x - x.mean(axis=0)
    n_volumes, n_regions = centred.shape
    empirical = centred.T @ centred / n_volumes
    if estimator == "empirical":
        return empirical
    shrinkage = _ledoit_wolf_shrinkage(centred)
    mu = np.trace(empirical) / n_regions
    shrunk = (1.0 - shrinkage) * empirical
    shrunk.flat[:: n_regions + 1] += shrinkage * mu
    return shrunk


def _ledoit_wolf_shrinkage(centred: np.ndarray) -> float:
    """scikit-learn's ``ledoit_wolf_shrinkage`` of centred data (one block)."""
    n_volumes, n_regions = centred.shape
    if n_regions == 1:
        return 0.0
    squared = centred**2
    trace = squared.sum(axis=0) / n_volumes
    mu = trace.sum() / n_regions
    # sum over regions i, j of <x_i^2, x_j^2> = sum over volumes of (sum_i x_i^2)^2
    beta_ = float(np.sum(squared.sum(axis=1) ** 2))
    delta_ = float(np.sum((centred.T @ centred) ** 2)) / n_volumes**2
    beta = (beta_ / n_volumes - delta_) / (n_regions * n_volumes)
    delta = (delta_ - 2.0 * mu * trace.sum() + n_regions * mu**2) / n_regions
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta


def _standardized(x: np.ndarray) -> np.ndarray:
    """Return nilearn's ``standardize_signal(x, standardize='zscore_sample')``."""
    if x.shape[0] == 1:
        return x.copy()
    centred = x - x.mean(axis=0)
    std = centred.std(axis=0, ddof=1)
    std[std < np.finfo(np.float64).eps] = 1.0
    return centred / std


def _cov_to_corr(matrix: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.atleast_2d(1.0 / np.sqrt(np.diag(matrix)))
        out = matrix * scale * scale.T
    np.fill_diagonal(out, 1.0)
    return out


def _inverse(matrix: np.ndarray, image: str) -> np.ndarray:
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        raise _singular(image, matrix.shape[0], None) from None


def _singular(image: str, n_regions: int, n_volumes: int | None) -> ConnectivityError:
    have = (
        "" if n_volumes is None else f" ({n_volumes} kept volumes, {n_regions} regions)"
    )
    return ConnectivityError(
        "The covariance of {file} is singular{have:text}, so {parameter} "
        "kinds that invert it (precision, partial correlation, tangent) "
        "cannot be computed.",
        file=image,
        have=have,
        parameter="connectivity",
        fix="Set {--connectivity_estimator} to 'ledoitwolf' (shrunk, always "
        "invertible), or use fewer regions.",
    )


def fisher_z(matrix: np.ndarray) -> np.ndarray:
    """Return ``arctanh`` of a correlation matrix, its diagonal NaN.

    Parameters
    ----------
    matrix : numpy.ndarray
        A square matrix of correlations.

    Returns
    -------
    numpy.ndarray
        A new matrix.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.arctanh(matrix)
    np.fill_diagonal(out, np.nan)
    return out


def _finite_columns(values: np.ndarray) -> np.ndarray:
    return np.isfinite(values).all(axis=0) if values.size else np.ones(0, bool)


def _embed(inner: np.ndarray, keep: np.ndarray) -> np.ndarray:
    if keep.all():
        return inner
    out = np.full((keep.size, keep.size), np.nan)
    out[np.ix_(keep, keep)] = inner
    return out


def image_connectomes(
    values: np.ndarray,
    columns: Sequence[str],
    kinds: Sequence[str],
    estimator: str,
    *,
    use_fisher_z: bool = False,
    image: str = "",
) -> dict[str, Connectome]:
    """Return one image's matrices of every kind but ``tangent`` (a batch's), by kind.

    Parameters
    ----------
    values : numpy.ndarray
        ``(volumes, regions)``: the kept volumes of the cleaned table.
    columns : sequence of str
        The regions' names.
    kinds : sequence of str
        nilearn's kinds; ``tangent`` is left out here.
    estimator : str
        ``'empirical'`` or ``'ledoitwolf'``.
    use_fisher_z : bool
        ``arctanh`` of the correlation kinds (diagonal NaN).
    image : str
        The image, named in errors.

    Returns
    -------
    dict of str to Connectome
        One per kind, in the order given.

    Raises
    ------
    ConnectivityError
        If an inverting kind is asked of a singular empirical covariance.
    """
    values = np.asarray(values, dtype=np.float64)
    keep = _finite_columns(values)
    left_out = [str(c) for c, k in zip(columns, keep) if not k]
    x = values[:, keep]
    n_volumes, n_regions = x.shape
    asked = [k for k in kinds if k != "tangent"]
    if (
        estimator == "empirical"
        and any(k in INVERTING_KINDS for k in kinds)
        and n_volumes - 1 < n_regions
    ):
        raise _singular(image, n_regions, n_volumes)
    cov = covariance(x, estimator) if set(asked) - {"correlation"} else None
    out = {}
    for kind in asked:
        if kind == "correlation":
            inner = _cov_to_corr(covariance(_standardized(x), estimator))
        elif kind == "covariance":
            inner = cov
        elif kind == "precision":
            inner = _inverse(cov, image)
        else:  # partial correlation
            inner = -_cov_to_corr(_inverse(cov, image))
            np.fill_diagonal(inner, 1.0)
        matrix = _embed(inner, keep)
        z = use_fisher_z and kind in _CORRELATIONS
        values = fisher_z(matrix) if z else matrix
        out[kind] = Connectome(kind, values, left_out, n_volumes, z)
    return out
