"""Every ROI kind, found through one table: which ``roi_file`` it reads, and its module.

A kind is one module of this room with a ``load(request)`` function returning
a :class:`~niimasker_core.rois.base.RoiSource`, and one line in
:data:`KINDS`: its name, that module (imported only when a set of that kind
is loaded, so a labels run never imports the maps' scipy code) and a cheap
test of the :class:`~niimasker_core.rois.base.RoiRequest` it reads. The first
kind whose test passes loads the set; the order settles what a file is (a
``nilearn:`` query, a coordinates table, a surface atlas, surface maps, a 4D image of maps,
any other image as labels, and no ``roi_file`` at all as every grayordinate
of a surface run or every voxel of a mask).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib

from ..domains.registry import reader_of
from ..domains.volume.nifti import check_geometry
from ..errors import ImageNotFoundError, RoiError
from .base import RoiRequest, RoiSource

__all__ = [
    "KINDS",
    "PREFIX",
    "SURFACE_ATLASES",
    "SURFACE_MAPS",
    "RoiKind",
    "is_query",
    "load_source",
]

#: The endings of surface atlas files (CIFTI, GIFTI, FreeSurfer).
SURFACE_ATLASES = (".dlabel.nii", ".label.gii", ".annot")
#: The endings of surface maps (CIFTI, GIFTI): one region per map.
SURFACE_MAPS = (".dscalar.nii", ".shape.gii", ".func.gii")

#: How ``roi_file`` names an atlas that nilearn fetches (``nilearn:schaefer:400``).
PREFIX = "nilearn:"


@dataclass(frozen=True)
class RoiKind:
    """One ROI kind: its name, the module that loads it, and which requests it reads.

    Attributes
    ----------
    name : str
        The kind's name (``labels``, ``spheres``...).
    module : str
        The module with ``load(request: RoiRequest) -> RoiSource``.
    matches : callable
        ``matches(request) -> bool``; cheap (a file name, at most a header).
    """

    name: str
    module: str
    matches: Callable[[RoiRequest], bool]


def is_query(roi_file: str | None) -> bool:
    """Tell whether ``roi_file`` is a ``nilearn:<atlas>[:<parameters>]`` query."""
    return isinstance(roi_file, str) and roi_file.strip().lower().startswith(PREFIX)


def _is_coordinates(request: RoiRequest) -> bool:
    return (request.roi_file or "").lower().endswith((".tsv", ".csv"))


def _is_image_file(request: RoiRequest) -> bool:
    return request.roi_file is not None and Path(request.roi_file).is_file()


def _is_maps(request: RoiRequest) -> bool:
    """Tell whether ``roi_file`` is a 4D image of several volumes: one map per region."""
    if not _is_image_file(request):
        return False
    try:
        img = nib.load(request.roi_file)
    except Exception:
        return False  # the labels kind reports why the file cannot be read
    check_geometry(img.shape, img.affine, f"'roi_file' '{request.roi_file}'", RoiError)
    return len(img.shape) == 4 and img.shape[3] > 1


def _is_surface_atlas(request: RoiRequest) -> bool:
    return (request.roi_file or "").lower().endswith(SURFACE_ATLASES)


def _is_surface_maps(request: RoiRequest) -> bool:
    return (request.roi_file or "").lower().endswith(SURFACE_MAPS)


def _is_grayordinates(request: RoiRequest) -> bool:
    """Tell whether a request without ``roi_file`` is on a surface run (CIFTI, GIFTI)."""
    return (
        request.roi_file is None
        and request.first_image is not None
        and reader_of(request.first_image).name != "nifti"
    )


def _is_voxels(request: RoiRequest) -> bool:
    return request.roi_file is None and request.first_image is not None


#: The ROI kinds, in the order they are tried.
KINDS: list[RoiKind] = [
    RoiKind("query", f"{__package__}.atlas_query", lambda r: is_query(r.roi_file)),
    RoiKind("spheres", f"{__package__}.spheres", _is_coordinates),
    RoiKind("surface_labels", f"{__package__}.surface_labels", _is_surface_atlas),
    RoiKind("surface_maps", f"{__package__}.surface_maps", _is_surface_maps),
    RoiKind("maps", f"{__package__}.maps", _is_maps),
    RoiKind("labels", f"{__package__}.label_image", _is_image_file),
    RoiKind("grayordinates", f"{__package__}.grayordinates", _is_grayordinates),
    RoiKind("voxels", f"{__package__}.voxels", _is_voxels),
]


def load_source(request: RoiRequest) -> RoiSource:
    """Load the ROI set a request names, with the first kind that reads it.

    Parameters
    ----------
    request : RoiRequest
        The set's ``roi_file`` and options.

    Returns
    -------
    RoiSource
        The loaded set, ready to build a reduction for each image.

    Raises
    ------
    RoiError
        If there is no ``roi_file`` (and no image to compute a mask from), or
        the kind cannot define regions from it.
    ImageNotFoundError
        If ``roi_file`` names no file and no query.
    """
    for kind in KINDS:
        if kind.matches(request):
            return importlib.import_module(kind.module).load(request)
    if request.roi_file is None:
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
    raise ImageNotFoundError(
        "{parameter} not found: {file}.", parameter="roi_file", file=request.roi_file
    )
