"""ROIs from a surface atlas: a CIFTI ``.dlabel.nii``, or GIFTI/FreeSurfer hemispheres.

A GIFTI (``.label.gii``) or FreeSurfer (``.annot``) atlas holds one
hemisphere per file; the other is found by name (``hemi-L``/``hemi-R``,
``lh.``/``rh.``, ``.L.``/``.R.``) and read with it when it exists. Its keys
0 and below (FreeSurfer's ``-1``: no label) are no region, and a key is one
region across the hemispheres only when both name it alike.

Each label key is a region; its signal is the mean over its vertices (and,
in CIFTI, voxels) in each volume, as ``wb_command -cifti-parcellate -method
MEAN`` and nilearn's ``SurfaceLabelsMasker`` compute it. A region spans every
structure carrying its key (a network label on both hemispheres is one
region). The atlas matches the image structure by structure and vertex by
vertex (:func:`~niimasker_core.domains.surface.grayordinates.transfer`), so
an atlas covering the medial wall fits an image leaving it out; key 0 (the
``???`` label) is no region. Regions are the keys the atlas uses, in key
order, named from its label table. A surface ``mask_img`` (a vertex mask,
:func:`~niimasker_core.rois.surface_values.surface_mask_on`) keeps each
region's vertices inside it, as nilearn's ``SurfaceLabelsMasker`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.cifti2 import cifti2_axes

from ..domains.base import Domain
from ..domains.surface.cifti_header import read_cifti_header
from ..domains.surface.grayordinates import (
    CORTEX_LEFT,
    Grayordinates,
    Structure,
    brain_model_axis,
    transfer,
)
from ..domains.surface.hemispheres import other_half, structure_of
from ..engine import Reduction
from ..errors import ImageNotFoundError, InputFileError, RoiError
from .base import RegionColumns, RoiRequest, coverage_rows
from .label_names import resolve_region_names
from .registry import SURFACE_ATLASES
from .surface_values import mesh_mismatch, surface_mask_on

__all__ = [
    "SurfaceAtlas",
    "SurfaceLabels",
    "load",
    "read_dlabel",
    "read_hemisphere_labels",
    "read_surface_atlas",
    "region_format",
]


@dataclass(frozen=True)
class SurfaceAtlas:
    """A label per sample of some grayordinates, and the label table naming them.

    Attributes
    ----------
    path : str
        The atlas as named in outputs (one file, or the first of a pair).
    domain : Grayordinates
        Where its labels are.
    labels : numpy.ndarray
        One integer key per sample of ``domain``.
    table : dict of int to str
        The name of each key the file's label table holds.
    """

    path: str
    domain: Grayordinates
    labels: np.ndarray
    table: dict[int, str]


def read_dlabel(path: str) -> SurfaceAtlas:
    """Read a CIFTI label file (``.dlabel.nii``): one map of label keys per grayordinate.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If it is not a dense CIFTI label file of one map.
    """
    try:
        header = read_cifti_header(path, "'roi_file'")
    except InputFileError as exc:
        raise RoiError(str(exc)) from None
    if header.row_kind != "LABELS" or header.column_kind != "BRAIN_MODELS":
        raise RoiError(
            f"'roi_file' '{path}' is a CIFTI file but not a dense label file (its "
            f"axes are {header.row_kind.lower()} and {header.column_kind.lower()}). "
            "Give a .dlabel.nii atlas."
        )
    if header.rows != 1:
        raise RoiError(
            f"'roi_file' '{path}' holds {header.rows} label maps ("
            + ", ".join(repr(n) for n in header.map_names[:5])
            + "); one is read. Keep the one you want, e.g. "
            f"wb_command -cifti-merge out.dlabel.nii -cifti '{path}' -column 1."
        )
    data = header.read_columns(0, header.columns)[0]
    if data.dtype.kind == "f":
        if not np.all(np.isfinite(data)) or not np.array_equal(data, np.round(data)):
            raise RoiError(
                f"'roi_file' '{path}' holds label keys that are not whole numbers."
            )
    return SurfaceAtlas(
        path=path,
        domain=header.domain,
        labels=data.astype(np.int64),
        table=dict(header.label_tables[0]) if header.label_tables else {},
    )


def _read_half(path: str) -> tuple[str, np.ndarray, dict[int, str]]:
    """Read one hemisphere's labels: its structure, a key per vertex, the names."""
    if not Path(path).is_file():
        raise ImageNotFoundError(f"'roi_file' not found: '{path}'. Check the path.")
    anatomical = None
    try:
        if path.lower().endswith(".annot"):
            keys, _, names = nib.freesurfer.read_annot(path)
            table = {
                i: n.decode() if isinstance(n, bytes) else str(n)
                for i, n in enumerate(names)
            }
        else:
            img = nib.load(path)
            keys = np.asarray(img.darrays[0].data)
            table = {
                int(k): str(n) for k, n in img.labeltable.get_labels_as_dict().items()
            }
            anatomical = img.meta.get("AnatomicalStructurePrimary") or (
                img.darrays[0].meta.get("AnatomicalStructurePrimary")
            )
    except Exception as exc:
        raise RoiError(
            f"Cannot read 'roi_file' '{path}' as a surface atlas ({exc}). Give a "
            "GIFTI .label.gii or a FreeSurfer .annot file."
        ) from None
    structure = structure_of(path, anatomical)
    if structure is None:
        raise RoiError(
            f"Cannot tell which hemisphere 'roi_file' '{path}' labels: its metadata "
            "has no AnatomicalStructurePrimary and its name no hemi-L/hemi-R, "
            "lh./rh. or .L./.R. Rename it (e.g. lh.aparc.annot)."
        )
    keys = np.asarray(keys).reshape(-1)
    if keys.dtype.kind == "f" and not np.array_equal(keys, np.round(keys)):
        raise RoiError(
            f"'roi_file' '{path}' holds label keys that are not whole numbers."
        )
    return structure, keys.astype(np.int64), table


def read_hemisphere_labels(path: str) -> SurfaceAtlas:
    """Read a GIFTI or FreeSurfer atlas: this hemisphere, and the other when it exists.

    Keys 0 and below label no region. A key on both hemispheres is one region
    when both name it alike; otherwise they are two (see :func:`_keep_apart`).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If a file cannot be read, its hemisphere cannot be told, or both name
        the same one.
    """
    other = other_half(path)
    halves = [_read_half(path)]
    if other and Path(other).is_file():
        halves.append(_read_half(other))
    halves.sort(key=lambda h: h[0] != CORTEX_LEFT)
    if len({h[0] for h in halves}) != len(halves):
        raise RoiError(
            f"'roi_file' '{path}' and '{other}' label the same hemisphere. Give "
            "one file per hemisphere."
        )
    if len(halves) == 2:
        halves[1] = _keep_apart(halves[0], halves[1])
    table: dict[int, str] = {}
    for _, _, names in reversed(halves):  # shared keys have one name: either
        table.update(names)
    structures = tuple(
        Structure(name=s, surface=True, size=len(k), indices=np.arange(len(k)))
        for s, k, _ in halves
    )
    keys = np.concatenate([np.where(k > 0, k, 0) for _, k, _ in halves])
    return SurfaceAtlas(
        path=path, domain=Grayordinates(structures), labels=keys, table=table
    )


def _keep_apart(
    left: tuple[str, np.ndarray, dict[int, str]],
    right: tuple[str, np.ndarray, dict[int, str]],
) -> tuple[str, np.ndarray, dict[int, str]]:
    """Renumber the right half's keys that name another region on the left.

    A key used on both hemispheres is one region only when both tables give it
    the same name (FreeSurfer's ``aparc``); otherwise (Schaefer's annots
    number 1..N on each side, ``LH_``/``RH_`` names) the right one gets a key
    after every left key, so the two never share a column.
    """
    structure, keys, names = right
    used_left = set(np.unique(left[1][left[1] > 0]).tolist())
    used_right = np.unique(keys[keys > 0]).tolist()
    clashes = [
        k for k in used_right if k in used_left and left[2].get(k) != names.get(k)
    ]
    if not clashes:
        return right
    start = max(used_left | set(used_right) | set(left[2]) | set(names)) + 1
    moved = {k: start + i for i, k in enumerate(clashes)}
    renumbered = keys.copy()
    for old, new in moved.items():
        renumbered[keys == old] = new
    table = {k: n for k, n in names.items() if k not in moved}
    table.update({new: names.get(old, str(old)) for old, new in moved.items()})
    return structure, renumbered, table


def read_surface_atlas(path: str) -> SurfaceAtlas:
    """Read a surface atlas of any kind this module knows, by its name."""
    if path.lower().endswith(".dlabel.nii"):
        return read_dlabel(path)
    return read_hemisphere_labels(path)


def region_format(roi_file: str | None, output_format: str | None) -> str:
    """Return how a set's tables are written: ``cifti`` (TSV and ptseries) or ``tsv``.

    ``cifti`` applies to surface atlases; every other table is a TSV.
    """
    surface = (roi_file or "").lower().endswith(SURFACE_ATLASES)
    return "cifti" if surface and output_format == "cifti" else "tsv"


def load(request: RoiRequest) -> SurfaceLabels:
    """Load a surface atlas (the registry's ``surface_labels`` kind).

    Raises
    ------
    RoiError
        If the atlas cannot be read, or an option asks for what surface
        atlases do not give (``as_voxels``, a statistic other than the mean).
    """
    options = request.options
    asked = [
        name
        for name, given in (
            ("as_voxels", options.as_voxels),
            ("strategy", options.strategy != "mean"),
        )
        if given
    ]
    if asked:
        raise RoiError(
            f"'roi_file' '{request.roi_file}' is a surface atlas, whose regions give "
            "the mean of their vertices; "
            + ", ".join(f"'{name}'" for name in asked)
            + " (for volume atlases) cannot be used with it. Drop "
            + ("it" if len(asked) == 1 else "them")
            + "."
        )
    return SurfaceLabels(
        read_surface_atlas(request.roi_file),
        labels=options.labels,
        mask_img=options.mask_img,
        output_format=options.output_format,
    )


class SurfaceLabels(RegionColumns):
    """A surface atlas, matched to each image's grayordinates on demand.

    Parameters
    ----------
    atlas : SurfaceAtlas
        The labels and their names.
    labels : sequence of str, str or None
        Region names replacing the label table's (see
        :func:`~niimasker_core.rois.label_names.resolve_region_names`).
    mask_img : str or None
        A surface mask (:func:`~niimasker_core.rois.surface_values.surface_mask_on`):
        regions keep only its vertices, as nilearn's
        ``SurfaceLabelsMasker(mask_img=...)``.
    output_format : str or None
        ``'cifti'`` writes each table as ``.ptseries.nii`` too; others TSV.
    """

    kind = "labels"

    def __init__(
        self,
        atlas: SurfaceAtlas,
        *,
        labels: Any = None,
        mask_img: str | None = None,
        output_format: Any = None,
    ) -> None:
        self.atlas = atlas
        self.mask_img = mask_img
        self.output_format = region_format(atlas.path, output_format)
        self._parcels = None
        keys, counts = np.unique(atlas.labels, return_counts=True)
        present = keys != 0
        if not present.any():
            raise RoiError(
                f"'roi_file' '{atlas.path}' labels no vertex or voxel (every key "
                "is 0), so it defines no region."
            )
        self.counts = dict(zip(keys[present].tolist(), counts[present].tolist()))
        ids = keys[present].tolist()
        if labels is None:
            labels = {i: atlas.table.get(i, str(i)) for i in ids}
        self.ids, self.names = resolve_region_names(labels, ids, atlas.path)
        self._cache: dict = {}

    @property
    def parcels(self) -> Any:
        """The regions as a CIFTI parcels axis: named, with the atlas's vertices and voxels.

        Each region holds the samples of the atlas carrying its key, as
        ``wb_command -cifti-parcellate`` records them (voxels in the order of
        their index in the volume, ``i`` fastest); made when first asked.
        """
        if self._parcels is None:
            models = brain_model_axis(self.atlas.domain)
            parcels = cifti2_axes.ParcelsAxis.from_brain_models(
                [
                    (name, models[self.atlas.labels == key])
                    for key, name in zip(self.ids, self.names)
                ]
            )
            for i, voxels in enumerate(parcels.voxels):
                if len(voxels):
                    order = np.lexsort((voxels[:, 0], voxels[:, 1], voxels[:, 2]))
                    parcels.voxels[i] = voxels[order]
            self._parcels = parcels
        return self._parcels

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "roi_file": self.atlas.path,
            "regions": [{"index": i, "name": n} for i, n in zip(self.ids, self.names)],
            "strategy": "mean",
            "mask_img": self.mask_img,
        }

    def describe_extent(self) -> str:
        """Return the structures the atlas labels, in words."""
        labelled = []
        start = 0
        for structure in self.atlas.domain.structures:
            stop = start + len(structure.indices)
            if np.any(self.atlas.labels[start:stop] != 0):
                labelled.append(structure.describe())
            start = stop
        return ", ".join(labelled)

    def for_domain(self, domain: Domain) -> Reduction:
        """Return the reduction for images on these grayordinates (cached).

        Raises
        ------
        RoiError
            If the image is not sampled on grayordinates, or a structure both
            have lies on another mesh or grid.
        """
        if not isinstance(domain, Grayordinates):
            raise RoiError(
                f"'roi_file' '{self.atlas.path}' defines regions on the cortical "
                f"surface, but the image is not a surface image (it spans "
                f"{domain.describe()}). Give a "
                "surface image (.dtseries.nii, .func.gii, .mgz), or a volume atlas "
                "for a volume image."
            )
        if domain.key not in self._cache:
            self._cache[domain.key] = self._build(domain)
        return self._cache[domain.key]

    def _build(self, domain: Grayordinates) -> Reduction:
        labels, mismatched = transfer(self.atlas.labels, self.atlas.domain, domain)
        if mismatched:
            raise mesh_mismatch("roi_file", self.atlas.path, self.atlas.domain, domain)
        if self.mask_img is not None:
            labels = np.where(surface_mask_on(self.mask_img, domain), labels, 0)
        ids = np.asarray(self.ids, dtype=np.int64)
        order = np.argsort(ids)
        where = np.clip(np.searchsorted(ids[order], labels), 0, len(ids) - 1)
        known = (labels != 0) & (ids[order][where] == labels)
        samples = np.flatnonzero(known)
        groups = order[where[known]]
        used = np.bincount(groups, minlength=len(ids))
        return Reduction(
            columns=list(self.names),
            voxels=samples,
            reduce=_not_used,
            empty_columns=[n for n, u in zip(self.names, used) if u == 0],
            region_voxels=used.tolist(),
            coverage=coverage_rows(
                self.names, [self.counts.get(i, 0) for i in self.ids], used.tolist()
            ),
            groups=groups,
        )

    def region_labels(
        self, reduction: Reduction, domain: Domain
    ) -> tuple[np.ndarray, str]:
        """Return each sample's region (numbered from 1, 0 outside), and no note."""
        out = np.zeros(domain.n_samples, dtype=np.int32)
        out[reduction.voxels] = reduction.groups + 1
        return out, ""


def _not_used(values: np.ndarray) -> np.ndarray:
    raise AssertionError("group means are computed by the engine")
