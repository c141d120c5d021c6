"""ROIs: turn ``roi_file`` (and its companions) into a :class:`RoiSource`.

One module per ROI kind; :func:`load_rois` picks the kind from ``roi_file``:
a ``nilearn:`` query is fetched first; a ``.tsv``/``.csv`` is coordinates for
spheres; a 4D image is probabilistic maps; a 3D image is a labelled atlas or a
single-region mask.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib

from ..domains.volume.grid import Grid
from ..domains.volume.nifti import check_geometry
from ..engine import Reduction
from ..errors import ImageNotFoundError, RoiError
from ..params.settings import Settings
from .atlas_query import fetch_query, is_query
from .base import RoiSource
from .label_image import LabelImage
from .per_set import values_per_set
from .spheres import COORDINATE_SUFFIXES, Spheres

__all__ = [
    "Grid",
    "Reduction",
    "RoiSet",
    "RoiSource",
    "load_roi_sets",
    "load_rois",
    "roi_set_names",
    "set_settings",
]


@dataclass(frozen=True)
class RoiSet:
    """One ROI set of a batch: its name, its source and its outputs' name part.

    With one set ``suffix`` is empty (outputs keep the seed's names); with
    several it is ``_atlas-<name>``. ``settings`` are the set's own: the
    batch's with this set's ``roi_file``, ``labels`` and ``mask_img``, as a
    run of this set alone would have them (None: the batch's).
    """

    name: str
    source: Any
    suffix: str
    settings: Any = None


def _default_name(path: str) -> str:
    atlas = re.search(r"atlas-([A-Za-z0-9]+)", Path(path).name)
    if atlas:
        return atlas.group(1)
    stem = Path(path).name.split(".")[0] if not is_query(path) else path[8:]
    return re.sub(r"[^A-Za-z0-9]", "", stem) or "rois"


def roi_set_names(roi_file: str | tuple[str, ...] | None) -> list[tuple[str, str]]:
    """Return each ROI set's ``(name, path)``: given as ``name=path`` or from the file.

    Parameters
    ----------
    roi_file : str, tuple of str or None
        ``settings.roi_file``.

    Returns
    -------
    list of (str, str)
        One pair per set; names made unique by a number when they repeat.
    """
    if roi_file is None:
        return []
    entries = [roi_file] if isinstance(roi_file, str) else list(roi_file)
    pairs = []
    for entry in entries:
        label, sep, rest = entry.partition("=")
        named = (
            sep and re.fullmatch(r"[A-Za-z0-9]+", label) and not Path(entry).exists()
        )
        pairs.append((label, rest) if named else (_default_name(entry), entry))
    seen: dict[str, int] = {}
    unique = []
    for name, path in pairs:
        seen[name] = seen.get(name, 0) + 1
        unique.append((name if seen[name] == 1 else f"{name}{seen[name]}", path))
    return unique


def load_roi_sets(settings: Settings) -> list[RoiSet]:
    """Load every ROI set of ``settings.roi_file`` (one, or several from one read).

    Each set gets its own ``labels`` and ``mask_img`` when they are given
    per set (see :mod:`niimasker_core.rois.per_set`).

    Raises
    ------
    RoiError
        If ``roi_file`` is missing or a set cannot define regions; or if one
        ``labels`` value is given for several sets.
    SettingsError
        If ``labels`` or ``mask_img`` is keyed by a name that is no set.
    ImageNotFoundError
        If a file does not exist.
    """
    pairs = roi_set_names(settings.roi_file)
    if not pairs:  # load_rois says that roi_file is required
        return [RoiSet("rois", load_rois(settings), "")]
    suffixes = [""] if len(pairs) == 1 else [f"_atlas-{n}" for n, _ in pairs]
    return [
        RoiSet(name, load_rois(own), suffix, own)
        for (name, _), suffix, own in zip(pairs, suffixes, set_settings(settings))
    ]


def set_settings(settings: Settings) -> list[Settings]:
    """Return each ROI set's own settings: its ``roi_file``, ``labels`` and ``mask_img``.

    Checks the per-set values' keys against the sets' names without reading
    any file, so that a dry run reports a misspelled set name too.

    Raises
    ------
    RoiError
        If one ``labels`` value is given for several sets.
    SettingsError
        If ``labels`` or ``mask_img`` is keyed by a name that is no set.
    """
    pairs = roi_set_names(settings.roi_file)
    names = [name for name, _ in pairs]
    labels = values_per_set("labels", settings.labels, names)
    masks = values_per_set("mask_img", settings.mask_img, names)
    return [
        dataclasses.replace(settings, roi_file=path, labels=label, mask_img=mask)
        for (_, path), label, mask in zip(pairs, labels, masks)
    ]


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
            {
                "python": "{parameter} is required: an atlas or mask NIfTI, a "
                "coordinates .tsv, or a query such as 'nilearn:schaefer:400-17-2' "
                "(-r/--roi_file).",
                "r": "{parameter} is required: an atlas or mask NIfTI, a coordinates "
                '.tsv, or a query such as "nilearn:schaefer:400-17-2".',
            },
            parameter="roi_file",
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
        img = nib.load(path)
    except Exception:
        return False  # LabelImage reports why the file cannot be read
    check_geometry(img.shape, img.affine, f"'roi_file' '{path}'", RoiError)
    return len(img.shape) == 4 and img.shape[3] > 1


def _from_image(path: str, settings: Settings, labels: Any, is_maps: bool) -> RoiSource:
    if is_maps:
        from .maps import Maps  # scipy.linalg: imported only for maps

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

    def extent_mm(self) -> Any:
        """Return the fetched atlas's bounding box in mm."""
        return self.source.extent_mm()

    def describe(self) -> dict[str, Any]:
        """Return the fetched atlas's description plus the query."""
        return {
            **self.source.describe(),
            "query": self.atlas["query"],
            "atlas": self.atlas["atlas"],
        }
