"""``min_coverage``: regions too little covered by an image become ``n/a`` in its table.

A region's coverage is XCP-D's: the share of its voxels (or vertices) that
its signal is over, inside the mask, on the image's grid, and, with
``nan_policy='omit'``, finite in every volume (the fewest finite ones over
the volumes). Below ``min_coverage``, the region's column is ``n/a`` in that
image's table; the coverage table says which regions were kept (``kept``)
and the sidecar lists the others (``RegionsBelowMinCoverage``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .outcome import ImageResult

__all__ = ["apply_min_coverage", "region_coverage"]


def region_coverage(row: dict[str, Any]) -> float:
    """Return one coverage row's coverage: samples with signal over the region's samples.

    Parameters
    ----------
    row : dict
        A coverage table row (``voxels_in_roi``, ``voxels_used``, and when
        known ``voxels_on_image_grid`` and ``finite_voxels_min``).

    Returns
    -------
    float
        From 0 to 1 (0 for a region with no sample).
    """
    whole = row.get("voxels_on_image_grid", row["voxels_in_roi"])
    covered = row.get("finite_voxels_min", row["voxels_used"])
    return min(int(covered), int(row["voxels_used"])) / whole if whole else 0.0


def apply_min_coverage(
    result: ImageResult, rows: list[dict[str, Any]], min_coverage: float | None
) -> list[dict[str, Any]]:
    """Set the columns of regions covered less than ``min_coverage`` to NaN.

    Parameters
    ----------
    result : ImageResult
        One image's table for one ROI set; its ``values`` and ``sidecar``
        are updated in place.
    rows : list of dict
        Its coverage rows, one per column, in column order.
    min_coverage : float or None
        The threshold; None keeps every region (the rows are returned as given).

    Returns
    -------
    list of dict
        The rows, each with ``kept`` (``true``/``false``).
    """
    if min_coverage is None or not rows:
        return rows
    below = [k for k, row in enumerate(rows) if region_coverage(row) < min_coverage]
    if below:
        values = np.array(result.values, dtype=np.float64)  # NaN needs a float
        values[:, below] = np.nan
        result.values = values
    result.sidecar = {
        **result.sidecar,
        "MinCoverage": min_coverage,
        "RegionsBelowMinCoverage": [str(result.columns[k]) for k in below],
    }
    dropped = set(below)
    return [
        {**row, "kept": "false" if k in dropped else "true"}
        for k, row in enumerate(rows)
    ]
