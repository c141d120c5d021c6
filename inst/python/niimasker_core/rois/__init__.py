"""ROIs: turn ``roi_file`` (and its companions) into a :class:`RoiSource`.

One module per ROI kind; :func:`load_rois` picks the kind from ``roi_file``:
a ``nilearn:`` query is fetched first; a ``.tsv``/``.csv`` is coordinates for
spheres; a 4D image is probabilistic maps; a 3D image is a labelled atlas or a
single-region mask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nibabel as nib

from ..errors import ImageNotFoundError, RoiError
from ..settings import Settings
from .atlas_query import fetch_query, is_query
from .base import Grid, Reduction, RoiSource
from .label_image import LabelImage
from .maps import Maps
from .spheres import COORDINATE_SUFFIXES, Spheres

__all__ = ["Grid", "Reduction", "RoiSource", "load_rois"]


def load_rois(settings: Settings) -> RoiSource:
    """Load the ROI definition named by ``settings.roi_file``.

    Parameters
    ----------
    settings : Settings
        Validated settings; ``roi_file``, ``labels``, ``mask_img``,
        ``strategy`` and ``as_voxels`` are used here.

    Returns
    -------
    RoiSource
        An object that builds a reduction for each image grid.

    Raises
    ------
    RoiError
        If ``roi_file`` is missing or cannot define regions.
    ImageNotFoundError
        If ``roi_file`` does not exist.
    """
    roi_file = settings.roi_file
    if roi_file is None:
        raise RoiError(
            "'roi_file' is required: an atlas or mask NIfTI, a coordinates .tsv, or "
            "a query such as 'nilearn:schaefer:400-17-2' (-r/--roi_file)."
        )
    if is_query(roi_file):
        atlas = fetch_query(roi_file, settings.data_dir)
        labels = settings.labels
        if labels is None:
            labels = dict(zip(atlas.index, atlas.name))
        source = _from_image(atlas.image, settings, labels, atlas.kind == "maps")
        return _Queried(source, atlas.to_dict())
    if roi_file.lower().endswith(COORDINATE_SUFFIXES):
        if settings.strategy != "mean":
            raise RoiError(
                f"'strategy' is {settings.strategy!r}, but spheres around the coordinates "
                f"of '{roi_file}' give each sphere's mean, as nilearn's "
                "NiftiSpheresMasker does. Drop 'strategy', or use 'as_voxels' to get "
                "every voxel of each sphere."
            )
        return Spheres(
            roi_file,
            radius=settings.radius,
            labels=settings.labels,
            mask_img=settings.mask_img,
            allow_overlap=settings.allow_overlap,
            as_voxels=settings.as_voxels,
        )
    if not Path(roi_file).is_file():
        raise ImageNotFoundError(f"'roi_file' not found: '{roi_file}'.")
    return _from_image(roi_file, settings, settings.labels, _is_4d(roi_file))


def _is_4d(path: str) -> bool:
    try:
        shape = nib.load(path).shape
    except Exception:
        return False  # LabelImage reports why the file cannot be read
    return len(shape) == 4 and shape[3] > 1


def _from_image(path: str, settings: Settings, labels: Any, is_maps: bool) -> RoiSource:
    if is_maps:
        if settings.as_voxels or settings.strategy != "mean":
            raise RoiError(
                f"'roi_file' '{path}' is a 4D probabilistic atlas: each map gives one "
                "least-squares signal, so 'as_voxels' and 'strategy' do not apply. "
                "Use a 3D labelled atlas for them, or drop those options."
            )
        return Maps(
            path,
            labels=labels,
            mask_img=settings.mask_img,
            allow_overlap=settings.allow_overlap,
        )
    return LabelImage(
        path,
        labels=labels,
        mask_img=settings.mask_img,
        strategy=settings.strategy,
        as_voxels=settings.as_voxels,
    )


class _Queried:
    """An ROI source fetched by a ``nilearn:`` query; describes the query too."""

    def __init__(self, source: RoiSource, atlas: dict[str, Any]) -> None:
        self.source = source
        self.kind = source.kind
        self.atlas = atlas

    def for_grid(self, shape: tuple[int, int, int], affine: Any) -> Reduction:
        """Return the reduction of the fetched atlas for this grid."""
        return self.source.for_grid(shape, affine)

    @property
    def names(self) -> list[str]:
        """The region names of the fetched atlas."""
        return list(self.source.names)

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: Any
    ) -> tuple[Any, str]:
        """Return the fetched atlas's region image on this grid."""
        return self.source.region_image(reduction, shape, affine)

    def describe(self) -> dict[str, Any]:
        """Return the fetched atlas's description plus the query."""
        return {
            **self.source.describe(),
            "query": self.atlas["query"],
            "atlas": self.atlas["atlas"],
        }
