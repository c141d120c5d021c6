"""What every ROI kind hands to the engine: a :class:`Reduction` per image grid.

An ROI kind (labelled atlas, mask, spheres, maps...) is loaded once into an
object following :class:`RoiSource`. For each image grid it builds a
:class:`Reduction`: which voxels of a volume it reads and how it turns them
into one value per output column. The engine streams the image once and
feeds every chunk of volumes to every reduction.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..domains.base import Domain
from ..domains.volume.grid import Grid, describe_box, grid_key
from ..engine import Reduction
from ..errors import RoiError
from ..params.options import RoiOptions, VoxelOptions

__all__ = [
    "GridCachedSource",
    "RegionColumns",
    "RoiRequest",
    "RoiSource",
    "check_voxels_left",
    "coverage_rows",
    "span_statistic_omitting",
]


def span_statistic_omitting(
    spans: list[tuple[int, int, int]], n_columns: int, statistic: str
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return a ``reduce_omit`` for regions stored as contiguous voxel spans.

    Parameters
    ----------
    spans : list of (column, start, stop)
        Each region's voxels, ``values[:, start:stop]``.
    n_columns : int
        Number of output columns (columns without a span stay NaN).
    statistic : str
        ``mean``, ``median``, ``sum``, ``minimum``, ``maximum``, ``variance``
        or ``standard_deviation``, taken over the finite values only.

    Returns
    -------
    callable
        ``values -> (statistics, finite counts)``; a region with no finite
        voxel in a volume is NaN there.
    """
    functions = {
        "mean": lambda v: np.nanmean(v, axis=1),
        "median": lambda v: np.nanmedian(v, axis=1),
        "sum": lambda v: np.nansum(v.astype(np.float64), axis=1),
        "minimum": lambda v: np.nanmin(v, axis=1),
        "maximum": lambda v: np.nanmax(v, axis=1),
        "variance": lambda v: np.nanvar(v.astype(np.float64), axis=1),
        "standard_deviation": lambda v: np.nanstd(v.astype(np.float64), axis=1),
    }
    function = functions[statistic]

    def reduce_omit(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.full((values.shape[0], n_columns), np.nan)
        counts = np.zeros((values.shape[0], n_columns), dtype=np.int64)
        for column, start, stop in spans:
            block = values[:, start:stop]
            counts[:, column] = np.isfinite(block).sum(axis=1)
            with warnings.catch_warnings():  # all-NaN rows are NaN, on purpose
                warnings.simplefilter("ignore", RuntimeWarning)
                got = function(block)
            got = np.asarray(got, dtype=np.float64)
            if statistic == "sum":
                got[counts[:, column] == 0] = np.nan
            out[:, column] = got
        return out, counts

    return reduce_omit


@dataclass(frozen=True)
class RoiRequest:
    """What one ROI set asks for: its definition, its options, and for voxels the mask.

    Attributes
    ----------
    roi_file : str or None
        The set's ROI definition (a file or a ``nilearn:`` query); None for
        every voxel of a mask.
    options : RoiOptions
        The set's own ``labels``, ``mask_img``, ``strategy``...
    voxels : VoxelOptions or None
        The mask and its options, when there is no ``roi_file``.
    first_image : str or None
        The batch's first image (a mask is computed from it when none is given).
    first_companions : tuple of str
        The first image's other files (a surface run's other hemisphere).
    """

    roi_file: str | None
    options: RoiOptions
    voxels: VoxelOptions | None = None
    first_image: str | None = None
    first_companions: tuple[str, ...] = ()


class RoiSource(Protocol):
    """An ROI definition loaded once, aligned to each image grid on demand.

    Attributes
    ----------
    kind : str
        The kind's name, for descriptions (``labels``, ``mask``, ``spheres``...).
    space : object or None
        The image whose elements the columns are (every voxel of a mask), or
        None for regions. A source with a space gives many columns: they are
        cleaned as one linear operator, may be written as an image in the
        space (``output_format``), and are made again on each run rather than
        read back; the report draws region sources only.
    output_format : str
        How its timeseries are written (:mod:`niimasker_core.io.formats`).
    dtype : str or None
        The dtype signals are given after cleaning (voxel extraction's
        ``dtype``); None keeps the cleaning's.
    files : dict
        Images written once per batch, by path inside the output folder
        (e.g. a voxel extraction's mask).
    parcels : object or None
        What formats that record regions need of them (a surface atlas's
        CIFTI parcels axis), or None.
    """

    kind: str
    space: Any
    output_format: str
    dtype: str | None
    files: dict[str, Any]
    parcels: Any

    def for_domain(self, domain: Domain) -> Reduction:
        """Return the reduction for images on this domain (refusing others)."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json and the report.

        It holds ``kind`` and ``roi_file``, and ``regions``: one dict per
        region with at least its ``index`` and ``name``.
        """

    def describe_extent(self) -> str:
        """Return where the regions lie, in words, for messages."""

    def columns(self, reduction: Reduction) -> list[str]:
        """Return the names of the columns ``reduction`` gives."""

    def describe_columns(self, reduction: Reduction) -> dict[str, Any]:
        """Return the sidecar's description of the columns (before ``Cleaning``)."""

    def describe_output(self) -> dict[str, Any]:
        """Return what the sidecar adds at its end about the output."""

    def region_labels(
        self, reduction: Reduction, domain: Domain
    ) -> tuple[np.ndarray, str]:
        """Return each sample's region on the domain (numbered from 1, 0 outside), a note."""


class RegionColumns:
    """Defaults of the region kinds: one column per region, written as TSV.

    No space, TSV tables, the cleaning's dtype, no image written per batch;
    the columns are the reduction's, described by their names and the
    regions left empty on the image.
    """

    space: Any = None
    output_format: str = "tsv"
    dtype: str | None = None
    parcels: Any = None

    @property
    def files(self) -> dict[str, Any]:
        """Images written once per batch: none for regions."""
        return {}

    def columns(self, reduction: Reduction) -> list[str]:
        """Return the names of the columns: the reduction's own."""
        return list(reduction.columns)

    def describe_columns(self, reduction: Reduction) -> dict[str, Any]:
        """Return the regions without voxels on this grid, and every column's name."""
        return {
            "EmptyRegions": list(reduction.empty_columns),
            "Columns": list(reduction.columns),
        }

    def describe_output(self) -> dict[str, Any]:
        """Return nothing more: a region table is described by its columns."""
        return {}


class GridCachedSource(RegionColumns):
    """Base of the volume ROI kinds: :meth:`for_domain` builds each grid's reduction once.

    Subclasses implement ``_build(shape, affine)``; images of a batch usually
    share one grid, so the ROI is aligned to it only once. An image that is
    not on a voxel grid is refused.
    """

    def for_domain(self, domain: Domain) -> Reduction:
        """Return the reduction for images on this voxel grid (cached per grid).

        Raises
        ------
        RoiError
            If the image is not sampled on a voxel grid.
        """
        if not isinstance(domain, Grid):
            raise RoiError(
                f"'roi_file' '{self.describe().get('roi_file')}' defines regions on "
                f"a voxel grid, but the image is sampled on {domain.describe()}. "
                "Give regions defined in the image's own space."
            )
        return self.for_grid(domain.shape, domain.affine)

    def for_grid(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        """Return the reduction for images on this grid (cached per grid)."""
        cache = self.__dict__.setdefault("_grid_cache", {})
        key = grid_key(shape, affine)
        if key not in cache:
            cache[key] = self._build(tuple(int(n) for n in shape[:3]), affine)
        return cache[key]

    def extent_mm(self) -> np.ndarray | None:
        """Return the ``(2, 3)`` bounding box in mm of the regions (None: not known)."""
        return None

    def describe_extent(self) -> str:
        """Return the regions' bounding box in mm, in words."""
        return describe_box(self.extent_mm())

    def region_labels(
        self, reduction: Reduction, domain: Grid
    ) -> tuple[np.ndarray, str]:
        """Return each voxel's region on the grid (Fortran order), and a note."""
        image, note = self.region_image(reduction, domain.shape, domain.affine)
        return image.ravel(order="F"), note

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return the voxels ``reduction`` reads, all numbered 1, and a note saying so.

        ROI kinds that can tell their regions apart override this.
        """
        flat = np.zeros(int(np.prod(shape)), dtype=np.int32)
        flat[np.asarray(reduction.voxels, dtype=np.int64)] = 1
        note = "Voxels covered by any region are drawn in one colour."
        return flat.reshape(shape, order="F"), note

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        raise NotImplementedError


def coverage_rows(
    names: list[str],
    in_roi: list[int],
    used: list[int],
    on_grid: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Return the coverage table's rows: each region's samples, those used, the fraction.

    ``fraction`` is XCP-D's coverage: the share of the region, on the image's
    grid, that its signal is over (inside the mask). On another grid than the
    ROI file's, the region's voxel count changes with the voxel size, so it
    is counted on the image's grid (``voxels_on_image_grid``), not in the file.

    Parameters
    ----------
    names : list of str
        The regions, in column order.
    in_roi : list of int
        Samples (voxels, vertices) each region has in its ROI file.
    used : list of int
        Samples each region's signal is over.
    on_grid : list of int or None
        Samples each region has on the image's grid before any mask; None
        when the ROI is on the image's samples (then ``in_roi``).
    """
    rows = []
    for k, (name, n, u) in enumerate(zip(names, in_roi, used)):
        row = {"region": name, "voxels_in_roi": int(n), "voxels_used": int(u)}
        whole = int(n)
        if on_grid is not None:
            whole = int(on_grid[k])
            row["voxels_on_image_grid"] = whole
        row["fraction"] = int(u) / whole if whole else 0.0
        rows.append(row)
    return rows


def check_voxels_left(
    reduction: Reduction, roi: RoiSource, image: str, domain: Domain
) -> None:
    """Raise when no region keeps a voxel on an image's domain (one region is enough).

    Parameters
    ----------
    reduction : Reduction
        The ROI aligned to the image's domain.
    roi : RoiSource
        The ROI; its extent, when it knows it, is named in the message.
    image : str
        The image path.
    domain : Domain
        The image's domain.

    Raises
    ------
    RoiError
        Naming the ROI, the image and where each lies (bounding boxes in mm).
    """
    if len(reduction.voxels) > 0:
        return
    roi_file = roi.describe().get("roi_file")
    raise RoiError(
        f"No region of 'roi_file' '{roi_file}' keeps a voxel on the grid of "
        f"'{image}': the regions span {roi.describe_extent()} and the image "
        f"{domain.describe()}. Check that both are in the same space (e.g. "
        "MNI vs native) and that 'mask_img' overlaps the regions."
    )
