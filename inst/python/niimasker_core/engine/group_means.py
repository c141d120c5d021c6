"""Region means over groups of samples, fed in pieces.

A surface or grayordinate region's signal is the mean over its samples
(vertices, voxels) in each volume, as nilearn's ``SurfaceLabelsMasker`` and
``wb_command -cifti-parcellate -method MEAN`` compute it. Non-finite values
follow ``nan_policy`` as in volumes: an error naming the sample and volume,
0, or left out of that volume's mean.

The sums are accumulated in float64 from any piece of the data: a chunk of
volumes (every sample) or a chunk of samples (every volume), so an image
stored sample by sample (CIFTI) streams without being held whole.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputFileError

__all__ = ["GroupMeans"]


class GroupMeans:
    """The running sums of one reduction's group means.

    Parameters
    ----------
    groups : numpy.ndarray
        The column (0-based) of each of the reduction's samples.
    n_columns : int
        Number of columns (a column with no sample stays NaN).
    n_volumes : int
        Volumes fed (after the discarded ones).
    nan_policy : {'error', 'zero', 'omit'}
        How non-finite values are read.
    """

    def __init__(
        self, groups: np.ndarray, n_columns: int, n_volumes: int, nan_policy: str
    ) -> None:
        from scipy import sparse  # scipy: only surfaces use it

        groups = np.asarray(groups, dtype=np.int64)
        self.membership = sparse.csr_array(
            (np.ones(len(groups)), (np.arange(len(groups)), groups)),
            shape=(len(groups), n_columns),
        )
        self.sizes = np.bincount(groups, minlength=n_columns).astype(np.float64)
        self.sums = np.zeros((n_volumes, n_columns))
        self.non_finite = np.zeros((n_volumes, n_columns))
        self.nan_policy = nan_policy
        self.first_bad: tuple[int, int] | None = None  # (volume, sample)

    def add(self, values: np.ndarray, rows: slice, samples: np.ndarray | None) -> None:
        """Add ``values`` (volumes ``rows`` x the reduction's ``samples``) to the sums.

        ``samples`` are positions among the reduction's samples (None: all,
        in order); ``rows`` the volumes, counted from the first kept.
        """
        weights = self.membership if samples is None else self.membership[samples]
        values = np.asarray(values, dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            if self.first_bad is None:
                volume, sample = (int(i[0]) for i in np.nonzero(bad))
                position = sample if samples is None else int(samples[sample])
                self.first_bad = (volume + (rows.start or 0), position)
            values = np.where(bad, 0.0, values)
            self.non_finite[rows] += (weights.T @ bad.T.astype(np.float64)).T
        self.sums[rows] += (weights.T @ values.T).T

    def finish(
        self, path: str, columns: list[str], first_volume: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return each column's means and (``omit``) its fewest finite samples.

        Returns
        -------
        means : numpy.ndarray
            ``(n_volumes, n_columns)`` float64; NaN where a column has no sample.
        fewest : numpy.ndarray or None
            With ``nan_policy="omit"`` and non-finite values met, the fewest
            finite samples of each column in any volume; None otherwise.

        Raises
        ------
        InputFileError
            ``nan_policy="error"`` and a non-finite value met; or ``"omit"``
            leaving a column with no finite sample in a volume.
        """
        counts = np.broadcast_to(self.sizes, self.sums.shape)
        fewest = None
        if self.first_bad is not None:
            volume, sample = self.first_bad
            if self.nan_policy == "error":
                column = int(self.membership[[sample]].indices[0])
                raise InputFileError(
                    "{file} has a NaN or infinite value in volume {volume} "
                    "(0-based), at sample {sample} of region {region}.",
                    file=path,
                    volume=volume + first_volume,
                    sample=sample,
                    region=columns[column],
                    fix="Give nan_policy='zero' to count such values as 0, or "
                    "'omit' to leave them out of each volume's mean.",
                )
            if self.nan_policy == "omit":
                counts = counts - self.non_finite
                fewest = counts.min(axis=0).astype(np.int64)
                _check_no_gap(counts, self.sizes, columns, path, first_volume)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(
                counts > 0, self.sums / np.where(counts > 0, counts, 1), np.nan
            )
        return means, fewest


def _check_no_gap(
    counts: np.ndarray,
    sizes: np.ndarray,
    columns: list[str],
    path: str,
    first_volume: int,
) -> None:
    """Refuse a column left with no finite sample in a volume: its series would have gaps."""
    gap = (counts <= 0) & (sizes > 0)
    if gap.any():
        volume, column = (int(i[0]) for i in np.nonzero(gap))
        raise InputFileError(
            f"Region '{columns[column]}' has no finite sample in volume "
            f"{volume + first_volume} (0-based) of '{path}', so nan_policy='omit' "
            "leaves no value there and the timeseries would have a gap. Use "
            "nan_policy='zero', or mask the region out."
        )
