"""Region means over groups of samples, fed in pieces, leaving out samples with no signal.

A surface or grayordinate region's signal is the mean over its samples
(vertices, voxels) in each volume, as nilearn's ``SurfaceLabelsMasker`` and
``wb_command -cifti-parcellate -method MEAN`` compute it. A sample with no
signal in the run (non-finite in every kept volume, or 0 in every one: the
medial wall, a dropout) is left out of its region's mean and of the samples
it counts used, as XCP-D does with ``-cifti-weights``. Other non-finite
values follow ``nan_policy`` as in volumes: an error naming the sample and
volume, 0, or left out of that volume's mean.

The sums are accumulated in float64 from any piece of the data: a chunk of
volumes (every sample) or a chunk of samples (every volume), so an image
stored sample by sample (CIFTI) streams without being held whole.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputFileError

__all__ = ["GroupMeans", "omit_gap_error"]


def omit_gap_error(region: str, volume: int, path: str, sample: str) -> InputFileError:
    """Return the error of a region left with no finite ``sample`` in one volume.

    Parameters
    ----------
    region : str
        The region's column name.
    volume : int
        The volume, 0-based in the image (each face counts it its way).
    path : str
        The image.
    sample : str
        ``'voxel'`` or ``'sample'``, as the message names them.

    Returns
    -------
    InputFileError
        Worded per face: ``nan_policy='omit'``, ``--nan_policy omit`` or
        ``nan_policy = "omit"``.
    """
    omit = {
        "python": "nan_policy='omit'",
        "command": "--nan_policy omit",
        "r": '`nan_policy = "omit"`',
    }
    zero = {
        "python": "nan_policy='zero'",
        "command": "--nan_policy zero",
        "r": '`nan_policy = "zero"`',
    }
    problem = (
        "Region {region} has no finite {sample:text} in volume {volume:volume} of "
        "{file}, so %s leaves no value there and the timeseries would have a gap."
    )
    return InputFileError(
        {face: problem % omit[face] for face in omit},
        file=path,
        region=region,
        volume=volume,
        sample=sample,
        fix={face: f"Use {zero[face]}, or mask the region out." for face in zero},
    )


# Up to this many columns the membership is a dense 0/1 matrix: (volumes x
# samples) @ (samples x columns) in BLAS beats a sparse product there.
_DENSE_COLUMNS = 32


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
        groups = np.asarray(groups, dtype=np.int64)
        self.groups = groups
        self.n_columns = n_columns
        if n_columns <= _DENSE_COLUMNS:
            # a few regions (Yeo's networks): one BLAS product, and no scipy import
            self.membership = np.zeros((len(groups), n_columns))
            self.membership[np.arange(len(groups)), groups] = 1.0
        else:
            from scipy import sparse  # 4x faster than reduceat for many regions

            self.membership = sparse.csr_array(
                (np.ones(len(groups)), (np.arange(len(groups)), groups)),
                shape=(len(groups), n_columns),
            )
        self.n_volumes = n_volumes
        self.sums = np.zeros((n_volumes, n_columns))
        self.non_finite = np.zeros((n_volumes, n_columns))
        self.sample_bad = np.zeros(len(groups), dtype=np.int64)  # non-finite volumes
        self.sample_signal = np.zeros(len(groups), dtype=bool)  # a finite non-zero
        self.first_bad = np.full(len(groups), -1, dtype=np.int64)  # its first volume
        self.nan_policy = nan_policy

    def add(self, values: np.ndarray, rows: slice, samples: np.ndarray | None) -> None:
        """Add ``values`` (volumes ``rows`` x the reduction's ``samples``) to the sums.

        ``samples`` are positions among the reduction's samples (None: all,
        in order); ``rows`` the volumes, counted from the first kept.
        """
        weights = self.membership if samples is None else self.membership[samples]
        where = slice(None) if samples is None else samples
        values = np.asarray(values)  # its own dtype: the checks read half the bytes
        if values.dtype.kind not in "fc":
            values = values.astype(np.float64)
        bad = None if np.isfinite(values.sum()) else ~np.isfinite(values)
        if bad is not None and bad.any():
            values = np.where(bad, 0, values)
            self.non_finite[rows] += _column_sums(weights, bad.astype(np.float64))
            self.sample_bad[where] += bad.sum(axis=0)
            hit = bad.any(axis=0)
            first = np.where(hit, bad.argmax(axis=0) + (rows.start or 0), -1)
            known = self.first_bad[where]
            self.first_bad[where] = np.where(known >= 0, known, first)
        self.sample_signal[where] |= (values != 0).any(axis=0)
        self.sums[rows] += _column_sums(weights, values.astype(np.float64, copy=False))

    def finish(
        self, path: str, columns: list[str], first_volume: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Return each column's means, its samples used, and (``omit``) its fewest.

        Returns
        -------
        means : numpy.ndarray
            ``(n_volumes, n_columns)`` float64; NaN where a column has no
            sample with signal.
        used : numpy.ndarray
            Samples with signal in each column.
        fewest : numpy.ndarray or None
            With ``nan_policy="omit"`` and non-finite values met, the fewest
            finite samples of each column in any volume; None otherwise.

        Raises
        ------
        InputFileError
            ``nan_policy="error"`` and a sample non-finite in some volumes
            only; or ``"omit"`` leaving a column with no sample in a volume.
        """
        all_bad = self.sample_bad == self.n_volumes
        empty = all_bad | (~self.sample_signal & (self.sample_bad == 0))
        partial = (self.sample_bad > 0) & ~all_bad
        used = self.membership.T @ (~empty).astype(np.float64)
        # empty samples add nothing to the sums (non-finite values were read as 0)
        counts = np.broadcast_to(used, self.sums.shape)
        fewest = None
        if partial.any():
            sample = int(np.flatnonzero(partial)[0])
            if self.nan_policy == "error":
                raise InputFileError(
                    "{file} has a NaN or infinite value in volume {volume:volume} "
                    "at sample {sample} of region {region}, which is finite in "
                    "other volumes.",
                    file=path,
                    volume=int(self.first_bad[sample]) + first_volume,
                    sample=sample,
                    region=columns[int(self.groups[sample])],
                    fix="Give nan_policy='zero' to count them as 0, or 'omit' to "
                    "leave them out of those volumes' means.",
                )
            if self.nan_policy == "omit":
                in_empty = self.membership.T @ all_bad.astype(np.float64)
                counts = counts - (self.non_finite - in_empty)
                fewest = counts.min(axis=0).astype(np.int64)
                _check_no_gap(counts, used, columns, path, first_volume)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(
                counts > 0, self.sums / np.where(counts > 0, counts, 1), np.nan
            )
        return means, used.astype(np.int64), fewest


def _column_sums(weights, values: np.ndarray) -> np.ndarray:
    """Return ``values`` (volumes x samples) summed into columns by ``weights``."""
    if isinstance(weights, np.ndarray):
        return values @ weights
    return (weights.T @ values.T).T


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
        raise omit_gap_error(columns[column], volume + first_volume, path, "sample")
