"""Grayordinates: the samples of a surface image, structure by structure.

A CIFTI brain-model axis, or a pair of GIFTI hemispheres, samples the brain
on structures: cortical surfaces (vertices of a mesh) and, in CIFTI,
subcortical volumes (voxels). :class:`Grayordinates` is the domain of such
images: its samples are the structures' vertices and voxels, one after the
other. Atlases match an image structure by structure and vertex by vertex
(never by position in the array); a mesh of another size is another space.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nibabel.cifti2 import cifti2_axes

from ...errors import SettingsError

__all__ = [
    "CORTEX_LEFT",
    "CORTEX_RIGHT",
    "Grayordinates",
    "Structure",
    "brain_model_axis",
    "transfer",
]

#: The CIFTI names of the two cortical surfaces.
CORTEX_LEFT = "CIFTI_STRUCTURE_CORTEX_LEFT"
CORTEX_RIGHT = "CIFTI_STRUCTURE_CORTEX_RIGHT"


@dataclass(frozen=True, eq=False)
class Structure:
    """One structure of a domain: vertices of a surface, or voxels of a volume.

    Attributes
    ----------
    name : str
        Its CIFTI name (``CIFTI_STRUCTURE_CORTEX_LEFT``...).
    surface : bool
        A surface (vertices) rather than a volume (voxels).
    size : int
        A surface's number of vertices in its mesh (the samples may be fewer:
        the medial wall is often left out).
    indices : numpy.ndarray
        The samples: vertex numbers ``(n,)``, or voxel indices ``(n, 3)``.
    affine : numpy.ndarray or None
        A volume's voxel-to-mm affine.
    volume_shape : tuple of int or None
        A volume's grid shape.
    """

    name: str
    surface: bool
    size: int
    indices: np.ndarray
    affine: np.ndarray | None = None
    volume_shape: tuple[int, ...] | None = None
    key: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        digest = hashlib.sha1(np.ascontiguousarray(self.indices).tobytes()).hexdigest()
        geometry = (
            () if self.affine is None else tuple(np.round(self.affine, 6).ravel())
        )
        object.__setattr__(
            self, "key", (self.name, self.surface, self.size, digest, geometry)
        )

    @property
    def short_name(self) -> str:
        """The name without ``CIFTI_STRUCTURE_`` (``CORTEX_LEFT``)."""
        return self.name.removeprefix("CIFTI_STRUCTURE_")

    def describe(self) -> str:
        """Return the structure in words, for messages."""
        if self.surface:
            return (
                f"{self.short_name} ({len(self.indices)} vertices of a "
                f"{self.size}-vertex mesh)"
            )
        return f"{self.short_name} ({len(self.indices)} voxels)"


@dataclass(frozen=True, eq=False)
class Grayordinates:
    """The samples of a surface or CIFTI image: its structures' vertices and voxels.

    Implements :class:`~niimasker_core.domains.base.Domain`; sample ``k`` is
    the ``k``-th vertex or voxel, structures one after the other.
    """

    structures: tuple[Structure, ...]
    #: The files the samples come from (for messages; not part of the key).
    files: tuple[str, ...] = ()

    #: Regions are drawn on the cortical meshes the report knows, without the
    #: image's mean (reading it would read a whole CIFTI file again).
    draws_regions = True
    draws_on_mean = False

    @property
    def key(self) -> tuple:
        """A key equal for two domains sampling the same vertices and voxels."""
        return ("grayordinates", tuple(s.key for s in self.structures))

    @property
    def n_samples(self) -> int:
        """Samples in one volume."""
        return int(sum(len(s.indices) for s in self.structures))

    def offsets(self) -> dict[str, int]:
        """Return where each structure's samples start, by name."""
        out, start = {}, 0
        for structure in self.structures:
            out[structure.name] = start
            start += len(structure.indices)
        return out

    def describe(self) -> str:
        """Return the structures in words, for messages."""
        return "the grayordinates of " + ", ".join(
            s.describe() for s in self.structures
        )

    def describe_meshes(self) -> str:
        """Return each surface's mesh size, for messages (``cortex_left: 10242-vertex``)."""
        meshes = [
            f"{s.short_name.lower()}: {s.size}-vertex mesh"
            for s in self.structures
            if s.surface
        ]
        return ", ".join(meshes) or "no surface"

    def describe_files(self) -> str:
        """Return the files the samples come from, quoted, for messages."""
        return " and ".join(f"'{f}'" for f in self.files) or "the image"

    def check_kernel(self, fwhm: float, name: str) -> None:
        """Refuse smoothing: surfaces are not smoothed here.

        Raises
        ------
        SettingsError
            Naming the image and how to smooth it beforehand.
        """
        raise SettingsError(
            f"'smoothing_fwhm' is {fwhm:g} mm, but '{name}' is sampled on "
            "the cortical surface, which niimasker does not smooth (smoothing "
            "along the surface needs its mesh). Smooth it first "
            "(wb_command -cifti-smoothing) or drop 'smoothing_fwhm'."
        )

    def smooth(self, block: np.ndarray, fwhm: float) -> np.ndarray:
        """Never called: :meth:`check_kernel` refuses smoothing first."""
        raise AssertionError("surfaces are not smoothed")

    def resample_from(
        self, source: Any, block: np.ndarray, bounds: Any = None, cache: Any = None
    ) -> np.ndarray:
        """Never called: surface atlases match the image's own samples."""
        raise AssertionError("grayordinates are not resampled")

    def resample_at(
        self,
        source: Any,
        block: np.ndarray,
        voxels: np.ndarray,
        bounds: Any = None,
        cache: Any = None,
    ) -> np.ndarray:
        """Never called: a run on grayordinates is read on its own samples."""
        raise AssertionError("grayordinates are not resampled")

    def draw_overlay(
        self, background: np.ndarray | None, labels: np.ndarray, figures: Any
    ) -> tuple[bytes | None, str]:
        """Draw each cortical surface's regions with ``figures.surface_atlas``.

        ``labels`` (one per sample) are spread over each surface's whole mesh,
        0 where the image has no vertex; subcortical voxels are not drawn.
        ``background`` is not used. Returns the PNG (None when no mesh is
        known) and what it shows, or why there is none.
        """
        surfaces, start = [], 0
        for structure in self.structures:
            stop = start + len(structure.indices)
            if structure.surface:
                full = np.zeros(structure.size, dtype=np.int32)
                full[structure.indices] = labels[start:stop]
                surfaces.append((structure.name, full))
            start = stop
        return figures.surface_atlas(surfaces)


def transfer(
    values: np.ndarray, source: Grayordinates, target: Grayordinates, fill: int = 0
) -> tuple[np.ndarray, list[tuple[Structure, Structure]]]:
    """Carry one value per sample of ``source`` onto the samples of ``target``.

    Samples match by structure name and vertex number (surfaces, whose meshes
    must have the same number of vertices) or voxel (volumes, whose grids
    must be equal): never by position in the array, so an atlas covering the
    medial wall fits an image that leaves it out.

    Parameters
    ----------
    values : numpy.ndarray
        One value per sample of ``source`` (integers: labels).
    source, target : Grayordinates
        Where the values are, and where they are wanted.
    fill : int
        The value of target samples that ``source`` does not cover.

    Returns
    -------
    numpy.ndarray
        One value per sample of ``target``.
    list of (Structure, Structure)
        The structures both have but cannot match (another mesh or grid):
        their target samples get ``fill``.
    """
    values = np.asarray(values)
    out = np.full(target.n_samples, fill, dtype=values.dtype)
    by_name = {s.name: s for s in source.structures}
    starts = source.offsets()
    mismatched = []
    start = 0
    for structure in target.structures:
        stop = start + len(structure.indices)
        theirs = by_name.get(structure.name)
        if theirs is not None:
            got = values[
                starts[theirs.name] : starts[theirs.name] + len(theirs.indices)
            ]
            carried = _carry(got, theirs, structure, fill)
            if carried is None:
                mismatched.append((theirs, structure))
            else:
                out[start:stop] = carried
        start = stop
    return out, mismatched


def _carry(
    values: np.ndarray, source: Structure, target: Structure, fill: int
) -> np.ndarray | None:
    """Return one structure's values on another's samples (None: not the same space)."""
    if source.surface != target.surface:
        return None
    if source.surface:
        if source.size != target.size:
            return None
        full = np.full(source.size, fill, dtype=values.dtype)
        full[source.indices] = values
        return full[target.indices]
    same_grid = source.volume_shape == target.volume_shape and np.allclose(
        source.affine, target.affine, atol=1e-4
    )
    if not same_grid:
        return None
    shape = source.volume_shape
    theirs = np.ravel_multi_index(tuple(source.indices.T), shape)
    mine = np.ravel_multi_index(tuple(target.indices.T), shape)
    order = np.argsort(theirs)
    where = np.clip(np.searchsorted(theirs[order], mine), 0, max(len(theirs) - 1, 0))
    found = (theirs[order][where] == mine) if len(theirs) else np.zeros(len(mine), bool)
    out = np.full(len(mine), fill, dtype=values.dtype)
    out[found] = values[order][where[found]]
    return out


def brain_model_axis(domain: Grayordinates) -> cifti2_axes.BrainModelAxis:
    """Return the domain as nibabel's CIFTI brain-model axis (same samples, same order).

    Surfaces keep their vertex numbers and mesh sizes; volumes their voxels,
    grid and affine (structures of one image share one grid).
    """
    names, vertices, voxels = [], [], []
    nvertices, affine, shape = {}, None, None
    for structure in domain.structures:
        n = len(structure.indices)
        names += [structure.name] * n
        if structure.surface:
            nvertices[structure.name] = structure.size
            vertices.append(np.asarray(structure.indices, dtype=np.int64))
            voxels.append(np.full((n, 3), -1, dtype=np.int64))
        else:
            affine, shape = structure.affine, structure.volume_shape
            vertices.append(np.full(n, -1, dtype=np.int64))
            voxels.append(np.asarray(structure.indices, dtype=np.int64).reshape(n, 3))
    return cifti2_axes.BrainModelAxis(
        name=np.asarray(names),
        vertex=np.concatenate(vertices) if vertices else np.zeros(0, np.int64),
        voxel=np.concatenate(voxels) if voxels else np.zeros((0, 3), np.int64),
        affine=affine,
        volume_shape=shape,
        nvertices=nvertices,
    )
