"""Maps on the surface as ROIs: a CIFTI ``.dscalar.nii`` or a GIFTI ``.shape.gii`` pair.

Each map is a region (weights on vertices, possibly overlapping); its signal
is the least-squares fit of each volume on the maps, as nilearn's
``SurfaceMapsMasker`` (and ``NiftiMapsMasker`` for volumes) computes it:
``lstsq(maps[vertices], volume[vertices])``, solved in float64 by the
volume maps' streamed fit (:func:`~niimasker_core.rois.maps.maps_reduction`).
A CIFTI file's maps are named by its map names, a GIFTI pair's by its
DataArrays' ``Name`` metadata, else numbered from 1 (``labels`` replaces
them). The maps match the image structure by structure and vertex by
vertex; a ``mask_img`` (a surface mask, non-zero inside) keeps the vertices
inside it, as nilearn's ``mask_img`` does. Unlike a label's mean, the fit
keeps vertices without signal (0 in every volume), as nilearn does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ..domains.base import Domain
from ..domains.surface.grayordinates import Grayordinates, transfer
from ..engine import Reduction
from ..errors import RoiError
from .base import RegionColumns, RoiRequest, coverage_rows
from .label_names import resolve_region_names
from .maps import maps_reduction
from .surface_values import (
    SurfaceValues,
    mesh_mismatch,
    read_surface_values,
    surface_mask_on,
)

__all__ = ["SurfaceMaps", "load"]


def load(request: RoiRequest) -> SurfaceMaps:
    """Load surface maps (the registry's ``surface_maps`` kind).

    Raises
    ------
    RoiError
        If the maps cannot be read, or ``as_voxels`` or a ``strategy`` other
        than the mean is asked (a map gives one least-squares signal).
    """
    options = request.options
    if options.as_voxels or options.strategy != "mean":
        raise RoiError(
            f"'roi_file' '{request.roi_file}' holds surface maps: each map gives one "
            "least-squares signal, so 'as_voxels' and 'strategy' do not apply. "
            "Drop those options, or use a surface label atlas (.dlabel.nii)."
        )
    maps = read_surface_values(request.roi_file, "roi_file")
    return SurfaceMaps(
        maps,
        labels=options.labels,
        mask_img=options.mask_img,
        allow_overlap=options.allow_overlap,
    )


class SurfaceMaps(RegionColumns):
    """Maps on grayordinates, matched to each image's grayordinates on demand.

    Parameters
    ----------
    maps : SurfaceValues
        The maps, one column of values each.
    labels : sequence of str, str or None
        Map names replacing the file's.
    mask_img : str or None
        A surface mask: only the vertices inside it are fitted.
    allow_overlap : bool or None
        Maps may share vertices (None: True, nilearn's default for maps).
    """

    kind = "maps"

    def __init__(
        self,
        maps: SurfaceValues,
        *,
        labels: Any = None,
        mask_img: str | None = None,
        allow_overlap: bool | None = None,
    ) -> None:
        self.maps = maps
        if not np.any(maps.values):
            raise RoiError(
                f"'roi_file' '{maps.path}' has only zero maps, so it defines no region."
            )
        n_maps = maps.values.shape[1]
        ids = list(range(1, n_maps + 1))
        if labels is None and any(maps.names):
            labels = {i: n or str(i) for i, n in zip(ids, maps.names)}
        self.ids, self.names = resolve_region_names(labels, ids, maps.path)
        self.mask_img = mask_img
        self.allow_overlap = True if allow_overlap is None else bool(allow_overlap)
        self._cache: dict = {}

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "roi_file": self.maps.path,
            "regions": [{"index": i, "name": n} for i, n in zip(self.ids, self.names)],
            "strategy": "least squares fit of the maps (SurfaceMapsMasker)",
            "mask_img": self.mask_img,
            "allow_overlap": self.allow_overlap,
        }

    def describe_extent(self) -> str:
        """Return the structures the maps cover, in words."""
        return ", ".join(s.describe() for s in self.maps.domain.structures)

    def for_domain(self, domain: Domain) -> Reduction:
        """Return the reduction for images on these grayordinates (cached).

        Raises
        ------
        RoiError
            If the image is not sampled on grayordinates, lies on other
            meshes, or maps overlap where ``allow_overlap`` is False.
        """
        if not isinstance(domain, Grayordinates):
            raise RoiError(
                f"'roi_file' '{self.maps.path}' holds maps on the cortical surface, "
                f"but the image is not a surface image (it spans {domain.describe()})."
                " Give a surface image (.dtseries.nii, .func.gii), or volume maps "
                "for a volume image."
            )
        if domain.key not in self._cache:
            self._cache[domain.key] = self._build(domain)
        return self._cache[domain.key]

    def _build(self, domain: Grayordinates) -> Reduction:
        values = np.column_stack(
            [self._carry(column, domain) for column in self.maps.values.T]
        )
        weight_whole = np.abs(values).sum(axis=0)
        if self.mask_img is not None:
            values[~surface_mask_on(self.mask_img, domain)] = 0.0
        if not self.allow_overlap:
            self._check_overlap(values)
        maps = sparse.csc_array(values)
        maps.eliminate_zeros()
        reduction = maps_reduction(maps, self.names)
        used = np.diff(maps.indptr)
        reduction.region_voxels = used.tolist()
        reduction.coverage = coverage_rows(
            self.names, np.count_nonzero(self.maps.values, axis=0).tolist(), used
        )
        # as for volume maps: the share of each map's weight that the signal is over
        for row, whole, kept in zip(
            reduction.coverage, weight_whole, np.abs(values).sum(axis=0)
        ):
            row["fraction"] = float(kept / whole) if whole else 0.0
        return reduction

    def _carry(self, column: np.ndarray, domain: Grayordinates) -> np.ndarray:
        carried, mismatched = transfer(column, self.maps.domain, domain, fill=0.0)
        if mismatched:
            raise mesh_mismatch("roi_file", self.maps.path, self.maps.domain, domain)
        return carried

    def _check_overlap(self, values: np.ndarray) -> None:
        eps = np.finfo(np.float32).eps
        shared = np.count_nonzero(np.count_nonzero(np.abs(values) > eps, axis=1) > 1)
        if shared:
            raise RoiError(
                f"Maps of '{self.maps.path}' overlap on the image's vertices ({shared} "
                "shared). Set 'allow_overlap' (--allow_overlap) to fit overlapping "
                "maps."
            )

    def region_labels(
        self, reduction: Reduction, domain: Domain
    ) -> tuple[np.ndarray, str]:
        """Return each sample of the maps' support numbered by its largest map."""
        out = np.zeros(domain.n_samples, dtype=np.int32)
        weights = np.column_stack(
            [self._carry(column, domain) for column in self.maps.values.T]
        )
        support = np.asarray(reduction.voxels, dtype=np.int64)
        out[support] = np.abs(weights[support]).argmax(axis=1) + 1
        return out, "Each vertex is drawn in the colour of its largest map."
