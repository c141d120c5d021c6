"""Values on surface vertices from a file: maps (``roi_file``) and masks (``mask_img``).

A CIFTI ``.dscalar.nii`` holds maps on grayordinates, one per row, named by
its map names; a GIFTI ``.shape.gii``/``.func.gii`` (or ``.label.gii``)
holds one hemisphere, one DataArray per map, and brings its other half by
name (``hemi-L``/``hemi-R``, ``lh.``/``rh.``, ``.L.``/``.R.``), as surface
atlases do. Both are read as :class:`SurfaceValues`: a value per sample of
some :class:`~niimasker_core.domains.surface.grayordinates.Grayordinates`
for each map, matched to an image structure by structure and vertex
(:func:`~niimasker_core.domains.surface.grayordinates.transfer`).

A surface ``mask_img`` keeps the vertices that are non-zero in every map
(nilearn's ``SurfaceLabelsMasker``/``SurfaceMapsMasker`` binarise a mask so:
``mask.astype(bool).all(axis=1)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from ..domains.surface.cifti_header import read_cifti_header
from ..domains.surface.grayordinates import (
    CORTEX_LEFT,
    Grayordinates,
    Structure,
    transfer,
)
from ..domains.surface.hemispheres import other_half, structure_of
from ..errors import ImageNotFoundError, InputFileError, RoiError

__all__ = [
    "SURFACE_MASKS",
    "SurfaceValues",
    "is_surface_file",
    "mesh_mismatch",
    "read_surface_values",
    "surface_mask_on",
]

#: The endings of files read as surface values.
SURFACE_MASKS = (".dscalar.nii", ".dlabel.nii", ".shape.gii", ".func.gii", ".label.gii")


def is_surface_file(path: str | None) -> bool:
    """Tell whether a path names a surface file this module reads."""
    return isinstance(path, str) and path.lower().endswith(SURFACE_MASKS)


@dataclass(frozen=True)
class SurfaceValues:
    """One value per sample of some grayordinates, for each of several maps.

    Attributes
    ----------
    path : str
        The file as named in outputs (one file, or the first of a pair).
    domain : Grayordinates
        Where its values are.
    values : numpy.ndarray
        ``(samples, maps)`` float64, non-finite values as 0.
    names : list of str
        Each map's name ('' when the file names none).
    """

    path: str
    domain: Grayordinates
    values: np.ndarray
    names: list[str]


def _read_cifti(path: str, parameter: str) -> SurfaceValues:
    try:
        header = read_cifti_header(path, f"'{parameter}'")
    except InputFileError as exc:
        raise RoiError(str(exc)) from None
    if header.column_kind != "BRAIN_MODELS" or header.row_kind not in (
        "SCALARS",
        "LABELS",
    ):
        raise RoiError(
            f"'{parameter}' '{path}' is a CIFTI file but not dense maps (its axes "
            f"are {header.row_kind.lower()} and {header.column_kind.lower()}). "
            "Give a .dscalar.nii."
        )
    data = header.read_columns(0, header.columns).astype(np.float64)
    return SurfaceValues(
        path=path,
        domain=header.domain,
        values=np.ascontiguousarray(data.T),
        names=list(header.map_names),
    )


def _read_gifti_half(path: str, parameter: str) -> tuple[str, np.ndarray, list[str]]:
    """Read one hemisphere: its structure, ``(vertices, maps)`` values, map names."""
    if not Path(path).is_file():
        raise ImageNotFoundError(f"'{parameter}' not found: '{path}'. Check the path.")
    try:
        img = nib.load(path)
        arrays = [np.asarray(a.data, dtype=np.float64) for a in img.darrays]
    except Exception as exc:
        raise RoiError(
            f"Cannot read '{parameter}' '{path}' as GIFTI surface data ({exc})."
        ) from None
    if not arrays:
        raise RoiError(f"'{parameter}' '{path}' holds no data array.")
    if len(arrays) == 1 and arrays[0].ndim == 2:
        values = arrays[0]  # one (vertices, maps) array, as nilearn writes them
    else:
        values = np.column_stack([a.reshape(-1) for a in arrays])
    names = [str(a.meta.get("Name", "")) for a in img.darrays]
    if len(names) != values.shape[1]:
        names = [""] * values.shape[1]
    anatomical = img.meta.get("AnatomicalStructurePrimary") or (
        img.darrays[0].meta.get("AnatomicalStructurePrimary")
    )
    structure = structure_of(path, anatomical)
    if structure is None:
        raise RoiError(
            f"Cannot tell which hemisphere '{parameter}' '{path}' covers: its "
            "metadata has no AnatomicalStructurePrimary and its name no "
            "hemi-L/hemi-R, lh./rh. or .L./.R. Rename it (e.g. hemi-L_maps.shape.gii)."
        )
    return structure, values, names


def _read_gifti(path: str, parameter: str) -> SurfaceValues:
    other = other_half(path)
    halves = [_read_gifti_half(path, parameter)]
    if other and Path(other).is_file():
        halves.append(_read_gifti_half(other, parameter))
    halves.sort(key=lambda h: h[0] != CORTEX_LEFT)
    if len({h[0] for h in halves}) != len(halves):
        raise RoiError(
            f"'{parameter}' '{path}' and '{other}' cover the same hemisphere. Give "
            "one file per hemisphere."
        )
    if len({h[1].shape[1] for h in halves}) > 1:
        raise RoiError(
            f"The hemispheres of '{parameter}' '{path}' hold different numbers of "
            "maps (" + " and ".join(str(h[1].shape[1]) for h in halves) + "). Give "
            "the two halves of the same maps."
        )
    structures = tuple(
        Structure(name=s, surface=True, size=len(v), indices=np.arange(len(v)))
        for s, v, _ in halves
    )
    names = [next((n for n in pair if n), "") for pair in zip(*(h[2] for h in halves))]
    return SurfaceValues(
        path=path,
        domain=Grayordinates(structures, files=(path,)),
        values=np.vstack([v for _, v, _ in halves]),
        names=names,
    )


def read_surface_values(path: str, parameter: str) -> SurfaceValues:
    """Read maps on a surface: a CIFTI ``.dscalar.nii`` or a GIFTI hemisphere pair.

    Non-finite values are read as 0 (as nilearn's maskers make them).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If it cannot be read, is not dense maps, its hemisphere cannot be
        told, or its halves disagree.
    """
    if path.lower().endswith(".nii"):
        read = _read_cifti(path, parameter)
    else:
        read = _read_gifti(path, parameter)
    values = np.where(np.isfinite(read.values), read.values, 0.0)
    return SurfaceValues(read.path, read.domain, values, read.names)


def mesh_mismatch(
    parameter: str, path: str, source: Grayordinates, target: Grayordinates
) -> RoiError:
    """Return the one-line error for a file on other meshes than an image's."""
    return RoiError(
        f"'{parameter}' '{path}' ({source.describe_meshes()}) and the image "
        f"{target.describe_files()} ({target.describe_meshes()}) are on different "
        "meshes or densities. Give one on the image's mesh (e.g. fsLR 32k for "
        "fMRIPrep's 91k grayordinates, fsaverage5 for space-fsaverage5), or "
        "resample one to the other first (wb_command -label-resample, "
        "-metric-resample)."
    )


def surface_mask_on(path: str, domain: Grayordinates) -> np.ndarray:
    """Return a surface ``mask_img`` on an image's samples: True where it is non-zero.

    Samples of structures the mask does not cover are outside it.

    Raises
    ------
    RoiError
        If the mask is not a surface file, cannot be read, or lies on another
        mesh than the image.
    """
    if not is_surface_file(path):
        raise RoiError(
            f"'mask_img' '{path}' is not a surface mask, but the regions are on the "
            "cortical surface. Give a vertex mask (.dscalar.nii, or one "
            "hemisphere's .shape.gii or .label.gii), or drop 'mask_img'."
        )
    mask = read_surface_values(path, "mask_img")
    inside = np.all(mask.values != 0, axis=1)
    carried, mismatched = transfer(inside, mask.domain, domain, fill=False)
    if mismatched:
        raise mesh_mismatch("mask_img", path, mask.domain, domain)
    return carried
