"""Spheres around coordinates, with nilearn's ``NiftiSpheresMasker`` membership.

A sphere is built on the image grid exactly as nilearn 0.14 builds it
(``nilearn.maskers.nifti_spheres_masker.apply_mask_and_get_affinity``):

* the candidate voxels are every voxel of the grid in C order, or only the
  voxels of ``mask_img`` (resampled to the grid, nearest neighbour);
* a candidate belongs to the sphere when its world coordinate is within
  ``radius`` mm of the seed (squared distance ``<= radius**2``, as
  scikit-learn's KD-tree tests it); no radius gives no such voxel;
* the voxel nearest to the seed (``np.round`` of the seed in voxel space) is
  added when it is a candidate;
* so is the first candidate whose world coordinates, truncated to integers,
  equal the seed truncated to integers (nilearn's "voxel containing the seed").

Each sphere's signal is ``np.mean`` over its voxels in C order, as nilearn
computes it, so the results are bit-identical. Unlike nilearn, an empty
sphere is a column of NaN with a warning instead of an error, each row may
have its own radius and name, and overlapping spheres are reported by pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import nibabel as nib
import numpy as np

from ..engine import Reduction
from ..errors import RoiError
from ..io.tables import read_user_table
from .base import GridCachedSource, RoiRequest, span_statistic_omitting
from .label_names import resolve_region_names
from .masking import mask_on_grid

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Spheres", "load", "read_coordinates", "sphere_members"]


#: File name endings that make ``roi_file`` a coordinates table.
def load(request: RoiRequest) -> Spheres:
    """Load spheres around the coordinates of a table (the registry's ``spheres`` kind).

    Parameters
    ----------
    request : RoiRequest
        The set's ``roi_file`` (a ``.tsv``/``.csv`` of x, y, z) and its
        ``radius``, ``labels``, ``mask_img``, ``allow_overlap`` and ``as_voxels``.

    Returns
    -------
    Spheres
        The spheres.

    Raises
    ------
    RoiError
        If a ``strategy`` other than the mean is asked.
    """
    path, options = request.roi_file, request.options
    if options.strategy != "mean":
        raise RoiError(
            f"'strategy' is {options.strategy!r}, but spheres around the coordinates "
            f"of '{path}' give each sphere's mean, as nilearn's "
            "NiftiSpheresMasker does. Drop 'strategy', or use 'as_voxels' to get "
            "every voxel of each sphere."
        )
    return Spheres(
        path,
        radius=options.radius,
        labels=options.labels,
        mask_img=options.mask_img,
        allow_overlap=options.allow_overlap,
        as_voxels=options.as_voxels,
    )


def read_coordinates(path: str) -> pd.DataFrame:
    """Read a coordinates table with ``x``, ``y``, ``z`` and optional ``radius``/``name``.

    Parameters
    ----------
    path : str
        A tab-separated ``.tsv`` or comma-separated ``.csv`` file with a header.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y``, ``z`` (float), ``radius`` (float, NaN where not
        given) and ``name`` (str or None), one row per sphere.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If columns are missing or values are not numbers.
    """
    import pandas as pd  # pandas: only with tables

    table = read_user_table(path, what="coordinates file", error=RoiError, as_text=True)
    columns = {str(c).strip().lower(): c for c in table.columns}
    missing = [c for c in ("x", "y", "z") if c not in columns]
    if missing:
        separators = "commas" if path.lower().endswith(".csv") else "tabs"
        raise RoiError(
            f"Coordinates file '{path}' must have columns 'x', 'y' and 'z' (a header "
            f"row, {separators} between values); missing "
            f"{', '.join(repr(m) for m in missing)}. Found columns: "
            f"{', '.join(map(str, table.columns)) or 'none'}."
        )
    if table.empty:
        raise RoiError(
            f"Coordinates file '{path}' has no rows, so it defines no sphere."
        )
    out = pd.DataFrame(index=range(len(table)))
    for axis in ("x", "y", "z"):
        out[axis] = _numbers(table[columns[axis]], axis, path, allow_missing=False)
    if "radius" in columns:
        radius = _numbers(table[columns["radius"]], "radius", path, allow_missing=True)
        if (radius < 0).any():
            raise RoiError(f"Coordinates file '{path}' has a negative 'radius'.")
        out["radius"] = radius
    else:
        out["radius"] = np.nan
    name_key = next((k for k in ("name", "label", "labels") if k in columns), None)
    out["name"] = (
        None if name_key is None else table[columns[name_key]].str.strip().to_numpy()
    )
    return out


def _numbers(
    column: pd.Series, what: str, path: str, *, allow_missing: bool
) -> np.ndarray:
    import pandas as pd  # pandas: only with tables

    text = column.str.strip()
    blank = text.isin(["", "n/a", "NA", "NaN", "nan"])
    values = pd.to_numeric(text.where(~blank, "nan"), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(
        np.isnan(values) & ~blank.to_numpy() | (blank.to_numpy() & ~allow_missing)
    )
    bad = np.union1d(bad, np.flatnonzero(np.isinf(values)))
    if bad.size:
        rows = ", ".join(f"row {i + 1} ({column.iloc[i]!r})" for i in bad[:5])
        raise RoiError(
            f"Column '{what}' of coordinates file '{path}' must hold numbers; bad "
            f"values at {rows}."
        )
    return values


def _world_coordinates(voxels: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """World coordinates of ``(n, 3)`` voxel indices, computed as nilearn's ``coord_transform``."""
    coords = np.c_[
        voxels[:, 0],
        voxels[:, 1],
        voxels[:, 2],
        np.ones(len(voxels), dtype=voxels.dtype),
    ].T
    return np.dot(affine, coords)[:3].T


def sphere_members(
    seeds: np.ndarray,
    radii: Sequence[float | None],
    shape: tuple[int, int, int],
    affine: np.ndarray,
    mask: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Return each sphere's voxels as nilearn's ``NiftiSpheresMasker`` selects them.

    Parameters
    ----------
    seeds : numpy.ndarray
        ``(n_spheres, 3)`` world coordinates.
    radii : sequence of float or None
        One radius in mm per seed; None (or NaN) selects the seed's voxel only.
    shape : tuple of int
        Grid shape.
    affine : numpy.ndarray
        Grid affine.
    mask : numpy.ndarray, optional
        Boolean array of ``shape``: only these voxels can belong to a sphere.

    Returns
    -------
    list of numpy.ndarray
        Per sphere, flat C-order voxel indices, ascending (nilearn's order).

    Raises
    ------
    RoiError
        If a seed has a NaN or infinite coordinate (it has no voxel).
    """
    _refuse_nonfinite_seeds(np.asarray(seeds, dtype=float).reshape(-1, 3))
    shape = tuple(int(n) for n in shape[:3])
    if mask is None:
        candidates = np.arange(int(np.prod(shape)), dtype=np.int64)
    else:
        candidates = np.flatnonzero(np.asarray(mask, dtype=bool).ravel(order="C"))
    ijk = np.stack(np.unravel_index(candidates, shape, order="C"), axis=1)
    world = _world_coordinates(ijk, affine)
    truncated = world.astype(int)
    inverse = np.linalg.inv(affine)
    members = []
    for seed, radius in zip(np.asarray(seeds, dtype=float), radii):
        has_radius = radius is not None and not np.isnan(radius)
        near = _candidates_near(
            seed, float(radius) if has_radius else 0.0, affine, shape, candidates
        )
        chosen = []
        if has_radius:
            delta = world[near] - seed
            # scikit-learn's KD-tree: ((dx*dx + dy*dy) + dz*dz) <= r*r
            d2 = (
                delta[:, 0] * delta[:, 0]
                + delta[:, 1] * delta[:, 1]
                + delta[:, 2] * delta[:, 2]
            )
            chosen.append(near[d2 <= float(radius) * float(radius)])
        nearest = np.round(np.dot(inverse, np.r_[seed, 1.0][:, None])[:3, 0]).astype(
            int
        )
        if np.all(nearest >= 0) and np.all(nearest < shape):
            flat = np.ravel_multi_index(tuple(nearest), shape, order="C")
            where = np.searchsorted(candidates, flat)
            if where < len(candidates) and candidates[where] == flat:
                chosen.append(np.array([where]))
        same_cell = np.flatnonzero(np.all(truncated[near] == seed.astype(int), axis=1))
        if same_cell.size:
            chosen.append(near[same_cell[:1]])
        picked = (
            np.unique(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
        )
        members.append(candidates[picked])
    return members


def _refuse_nonfinite_seeds(seeds: np.ndarray) -> None:
    """Refuse seeds with NaN or infinite coordinates, naming the first (0-based)."""
    bad = np.flatnonzero(~np.isfinite(seeds).all(axis=1))
    if bad.size:
        raise RoiError(
            "Seed {index} has coordinates {coordinates}{others:text}: NaN or infinite "
            "values place it nowhere, so its sphere would be empty.",
            index=int(bad[0]),
            coordinates=[float(v) for v in seeds[bad[0]]],
            others=f" ({bad.size - 1} more seeds too)" if bad.size > 1 else "",
            fix="Give each seed three finite numbers (x, y, z in mm), or drop it.",
        )


def _candidates_near(
    seed: np.ndarray,
    radius: float,
    affine: np.ndarray,
    shape: tuple[int, int, int],
    candidates: np.ndarray,
) -> np.ndarray:
    """Positions in ``candidates`` (ascending) of the voxels in a box around a seed.

    The box holds every voxel within ``radius`` mm and every voxel whose
    truncated world coordinates can equal the seed's (less than 2 mm away on
    each axis), plus one voxel of margin.
    """
    half = max(radius, 2.0)
    signs = np.array(
        [[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], float
    )
    corners = np.c_[seed + signs * half, np.ones(8)]
    vox = np.dot(np.linalg.inv(affine), corners.T)[:3]
    top = np.array(shape) - 1
    lower = np.floor(vox.min(axis=1)).astype(int) - 1
    upper = np.ceil(vox.max(axis=1)).astype(int) + 1
    if np.any(upper < 0) or np.any(lower > top):
        return np.empty(0, dtype=np.int64)
    lower, upper = np.clip(lower, 0, top), np.clip(upper, 0, top)
    axes = [np.arange(lo, hi + 1) for lo, hi in zip(lower, upper)]
    box = np.ravel_multi_index(
        np.meshgrid(*axes, indexing="ij"), shape, order="C"
    ).ravel()
    where = np.searchsorted(candidates, box)
    inside = where < len(candidates)
    where, box = where[inside], box[inside]
    return where[candidates[where] == box]


def _overlapping_pairs(members: list[np.ndarray], names: list[str]) -> list[str]:
    """Names of every pair of spheres sharing at least one voxel, in order."""
    if not members:
        return []
    voxels = np.concatenate(members)
    owners = np.repeat(np.arange(len(members)), [len(m) for m in members])
    shared, counts = np.unique(voxels, return_counts=True)
    shared = shared[counts > 1]
    if shared.size == 0:
        return []
    inside = np.isin(voxels, shared)
    by_voxel: dict[int, list[int]] = {}
    for voxel, owner in zip(
        voxels[inside].tolist(), owners[inside].tolist(), strict=True
    ):
        by_voxel.setdefault(voxel, []).append(owner)
    pairs = {
        pair
        for group in by_voxel.values()
        for pair in itertools.combinations(sorted(set(group)), 2)
    }
    return [f"{names[a]} & {names[b]}" for a, b in sorted(pairs)]


class Spheres(GridCachedSource):
    """Spheres around the coordinates of a table, aligned to each image grid.

    Parameters
    ----------
    path : str
        The coordinates ``.tsv``/``.csv`` (see :func:`read_coordinates`).
    radius : float or None
        Radius in mm for rows without their own ``radius``; None selects the
        voxel at each coordinate only, as nilearn does.
    labels : sequence of str, str or None
        Sphere names (one per row), overriding a ``name`` column. Default:
        the ``name`` column, else the row numbers ``1..n``.
    mask_img : str or None
        Mask intersected with every sphere.
    allow_overlap : bool or None
        Allow spheres sharing voxels; None means False (nilearn's default).
    as_voxels : bool
        Give every voxel of every sphere (columns ``<name>_<i>_<j>_<k>``,
        0-based indices on the image grid) instead of each sphere's mean.
    """

    kind = "spheres"

    def __init__(
        self,
        path: str,
        *,
        radius: float | None = None,
        labels: Sequence[str] | str | None = None,
        mask_img: str | None = None,
        allow_overlap: bool | None = None,
        as_voxels: bool = False,
    ) -> None:
        self.path = path
        self.as_voxels = as_voxels
        table = read_coordinates(path)
        self.seeds = table[["x", "y", "z"]].to_numpy(float)
        self.radii = [radius if np.isnan(r) else float(r) for r in table["radius"]]
        ids = list(range(1, len(table) + 1))
        if labels is None and table["name"].notna().all():
            labels = [str(n) for n in table["name"]]
        self.ids, self.names = resolve_region_names(labels, ids, path, "spheres")
        if labels is None:
            self.names = [str(i) for i in ids]
        self.mask_img = mask_img
        self.allow_overlap = bool(allow_overlap)

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "roi_file": self.path,
            "mask_img": self.mask_img,
            "allow_overlap": self.allow_overlap,
            "strategy": "voxels" if self.as_voxels else "mean",
            "regions": [
                {"index": i, "name": n, "x": s[0], "y": s[1], "z": s[2], "radius": r}
                for i, n, s, r in zip(
                    self.ids, self.names, self.seeds.tolist(), self.radii
                )
            ],
        }

    def extent_mm(self) -> np.ndarray:
        """Return the bounding box in mm of the spheres (centres plus radius)."""
        radius = np.array([0.0 if r is None else r for r in self.radii])[:, None]
        return np.stack(
            [(self.seeds - radius).min(axis=0), (self.seeds + radius).max(axis=0)]
        )

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        full = sphere_members(self.seeds, self.radii, shape, affine)
        if self.mask_img is None:
            members = full
        else:
            mask = mask_on_grid(self.mask_img, shape, affine)
            members = sphere_members(self.seeds, self.radii, shape, affine, mask)
        if not self.allow_overlap:
            pairs = _overlapping_pairs(members, self.names)
            if pairs:
                raise RoiError(
                    f"Spheres of '{self.path}' overlap on the image grid: "
                    f"{', '.join(pairs[:10])}{', ...' if len(pairs) > 10 else ''}. "
                    "Use a smaller 'radius', move the coordinates apart, or set "
                    "'allow_overlap' (--allow_overlap) to keep shared voxels in each "
                    "sphere."
                )
        counts = np.array([len(m) for m in members], dtype=np.int64)
        present = counts > 0
        bounds = np.concatenate([[0], np.cumsum(counts)])
        c_index = np.concatenate(members) if members else np.empty(0, dtype=np.int64)
        voxels = np.ravel_multi_index(
            np.unravel_index(c_index, shape, order="C"), shape, order="F"
        ).astype(np.int64)
        spans = [
            (i, int(bounds[i]), int(bounds[i + 1])) for i in np.flatnonzero(present)
        ]
        n_spheres = len(members)

        def reduce(values: np.ndarray) -> np.ndarray:
            out = np.full((values.shape[0], n_spheres), np.nan)
            for column, start, stop in spans:
                # np.mean in the data's dtype over C-ordered voxels: nilearn's numbers
                out[:, column] = np.mean(values[:, start:stop], axis=1)
            return out

        empty = [n for n, ok in zip(self.names, present) if not ok]
        columns = list(self.names)
        reduce_omit = span_statistic_omitting(spans, n_spheres, "mean")
        if self.as_voxels:
            reduce_omit = (
                None  # every voxel of every sphere, named like an atlas's voxels
            )
            i, j, k = np.unravel_index(c_index, shape, order="C")
            owner = np.repeat(np.asarray(self.names, dtype=object), counts)
            columns = [f"{n}_{a}_{b}_{c}" for n, a, b, c in zip(owner, i, j, k)]

            def reduce(values: np.ndarray) -> np.ndarray:
                return values.astype(np.float64, copy=False)

        return Reduction(
            columns=columns,
            voxels=voxels,
            reduce=reduce,
            reduce_omit=reduce_omit,
            empty_columns=empty,
            region_voxels=counts.tolist(),
            coverage=[
                {
                    "region": name,
                    "voxels_in_roi": int(len(f)),
                    "voxels_used": int(n),
                    "fraction": n / len(f) if len(f) else 0.0,
                }
                for name, f, n in zip(self.names, full, counts.tolist())
            ],
            images={
                "spheres_img": _spheres_image(members, shape, affine),
                "spheres_img_lut": self._lut(counts),
            },
        )

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return the spheres numbered on this grid; where they overlap, the later wins."""
        flat = np.zeros(int(np.prod(shape)), dtype=np.int32)
        counts = reduction.region_voxels
        flat[reduction.voxels] = np.repeat(np.arange(1, len(counts) + 1), counts)
        note = "Where spheres overlap, the later sphere is drawn."
        return flat.reshape(shape, order="F"), note

    def _lut(self, counts: np.ndarray) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "name": n,
                "x": float(s[0]),
                "y": float(s[1]),
                "z": float(s[2]),
                "radius": float("nan") if r is None else float(r),
                "voxels": int(c),
            }
            for i, n, s, r, c in zip(
                self.ids, self.names, self.seeds, self.radii, counts
            )
        ]


def _spheres_image(
    members: list[np.ndarray], shape: tuple[int, int, int], affine: np.ndarray
) -> nib.Nifti1Image:
    """Spheres as a 3D label image (value = row number), or 4D (one volume each) if they overlap."""
    sizes = [len(m) for m in members]
    union = np.unique(np.concatenate(members)) if members else np.empty(0)
    if len(union) == sum(sizes):
        labels = np.zeros(int(np.prod(shape)), dtype=np.int32)
        for index, voxels in enumerate(members, start=1):
            labels[voxels] = index
        return nib.Nifti1Image(labels.reshape(shape, order="C"), affine)
    # Fortran order, as NIfTI stores it: written without a transposing copy.
    volumes = np.zeros((*shape, len(members)), dtype=np.uint8, order="F")
    for index, voxels in enumerate(members):
        volumes[(*np.unravel_index(voxels, shape), index)] = 1
    return nib.Nifti1Image(volumes, affine)
