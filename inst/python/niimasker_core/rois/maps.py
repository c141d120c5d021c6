"""Probabilistic maps: a 4D ``roi_file`` with one (possibly overlapping) map per region.

Signals equal nilearn's ``NiftiMapsMasker`` (``resampling_target="data"``):
the maps are resampled to the image grid with linear interpolation, the mask
(if any) with nearest neighbour, and each volume is fitted by least squares
on the maps, ``lstsq(maps[voxels], volume[voxels])``.

The fit is streamed: for each chunk of volumes we accumulate ``volume @ M``
over the maps' support ``M`` and multiply by the pseudo-inverse of the Gram
matrix ``M.T @ M`` (computed once per grid, in float64). For a full-rank
``M`` this is the same least-squares solution nilearn computes, without
holding the whole image or a voxels-by-maps dense copy in memory.

Unlike nilearn (``keep_masked_maps=False``), a map left empty by the mask or
resampling stays a column of NaN, so columns never shift between images.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import nibabel as nib
import numpy as np
from scipy import linalg, sparse

from ..domains.volume.grid import extent_mm, grid_key
from ..domains.volume.nifti import ImageInfo, read_image_info
from ..domains.volume.resampling import (
    SeparableResampler,
    axis_aligned_transform,
    value_bounds,
)
from ..domains.volume.stream import iter_chunks
from ..engine import Reduction, one_blas_thread
from ..errors import ImageNotFoundError, InputFileError, RoiError, RoiKindWarning
from .base import GridCachedSource, RoiRequest
from .label_names import resolve_region_names
from .masking import mask_on_grid

__all__ = [
    "DENSE_LIMIT",
    "SPARSE_DENSITY",
    "Maps",
    "load",
    "maps_reduction",
    "read_maps",
]

#: Above this density the maps' support is kept dense for BLAS; below, sparse.
SPARSE_DENSITY = 0.2
#: Largest dense weight matrix (elements, float64) kept in memory.
DENSE_LIMIT = 32 * 2**20


def load(request: RoiRequest) -> Maps:
    """Load a 4D probabilistic atlas (the registry's ``maps`` kind).

    Parameters
    ----------
    request : RoiRequest
        The set's ``roi_file`` (a 4D image) and its ``labels``, ``mask_img``
        and ``allow_overlap``.

    Returns
    -------
    Maps
        The maps.

    Raises
    ------
    RoiError
        If ``as_voxels`` or a ``strategy`` other than the mean is asked: a
        map gives one least-squares signal.
    """
    path, options = request.roi_file, request.options
    if options.as_voxels or options.strategy != "mean":
        raise RoiError(
            f"'roi_file' '{path}' is a 4D probabilistic atlas: each map gives one "
            "least-squares signal, so 'as_voxels' and 'strategy' do not apply. "
            "Use a 3D labelled atlas for them, or drop those options."
        )
    maps = Maps(
        path,
        labels=options.labels,
        mask_img=options.mask_img,
        allow_overlap=options.allow_overlap,
    )
    if options.labels is None:
        warnings.warn(
            RoiKindWarning(
                "{--roi_file} {file} is a 4D image, so it is read as {count} "
                "probabilistic maps (one region per volume, fitted by least squares).",
                file=path,
                count=len(maps.names),
                fix="If it is an fMRI run, give it in {--input_files} instead; give "
                "{--labels} to name the maps (which also silences this).",
            ),
            stacklevel=2,
        )
    return maps


def read_maps(
    path: str | ImageInfo,
    shape: tuple[int, int, int] | None = None,
    affine: np.ndarray | None = None,
) -> sparse.csc_array:
    """Read a 4D maps image as a sparse ``(n_voxels, n_maps)`` matrix, a chunk of maps at a time.

    NaN and infinite values become 0 (as nilearn's ``clean_img`` makes them).
    With ``shape`` and ``affine``, each map is first resampled to that grid
    with linear interpolation, as ``NiftiMapsMasker`` does. Memory stays at
    one chunk of maps plus their non-zero values.

    Parameters
    ----------
    path : str or ImageInfo
        A 4D ``.nii``/``.nii.gz`` file, one map per volume (or its
        :class:`~niimasker_core.domains.volume.nifti.ImageInfo`, e.g. of an in-memory image).
    shape, affine : optional
        Target grid; None keeps the maps' own grid.

    Returns
    -------
    scipy.sparse.csc_array
        Voxels (Fortran order on the grid) by maps, float64.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If it is not a 4D image.
    """
    if isinstance(path, ImageInfo):  # an image already described (e.g. in memory)
        return _read_maps(path, shape, affine)
    try:
        info = read_image_info(path, need_4d=True)
    except InputFileError as exc:
        if isinstance(exc, ImageNotFoundError):
            raise ImageNotFoundError(f"'roi_file' not found: '{path}'.") from None
        raise RoiError(
            f"'roi_file' '{path}' must be a 4D image of maps (one per volume): {exc}"
        ) from None
    return _read_maps(info, shape, affine)


def _read_maps(
    info: ImageInfo, shape: tuple[int, int, int] | None, affine: np.ndarray | None
) -> sparse.csc_array:
    """Read the maps as a sparse ``(n_voxels, n_maps)`` array, resampled to a grid.

    nilearn's maps masker resamples the maps with ``resample_img(interpolation=
    "linear")``. Between axis-aligned grids (the usual case: an atlas and the
    images in one space, at other voxel sizes) linear interpolation is
    separable, so each map goes through three small products with scipy's
    own 1D operators, on the box around its nonzero voxels only (see
    :meth:`~niimasker_core.domains.volume.resampling.SeparableResampler.resample_local`):
    about 10x faster than ``resample_img``, without its 2 s of imports, and
    equal to it to rounding (float32 maps: within one ulp). Other grids go
    through ``resample_img`` itself.
    """
    resample = shape is not None and grid_key(shape, affine) != grid_key(
        info.shape, info.affine
    )
    local = None
    if resample:
        transform = axis_aligned_transform(info.affine, affine)
        if transform is not None:
            local = SeparableResampler(info.shape, shape, *transform, order=1)
    rows, cols, vals = [], [], []
    for first, block in iter_chunks(info):
        if resample:
            block = np.nan_to_num(block, posinf=0.0, neginf=0.0)
        if local is not None:
            voxel, volume, values = _resampled_entries(block, local)
        else:
            if resample:
                block = _resample_maps(block, info, shape, affine)
            voxel, volume, values = _entries(block)
        rows.append(voxel)
        cols.append(volume + first)
        vals.append(values)
    n_voxels = int(np.prod(shape)) if resample else info.n_voxels
    return sparse.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_voxels, info.n_volumes),
    )


def _entries(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(voxel, map, value)`` of the finite nonzero values of ``block``."""
    # `!= 0` then flatnonzero: ~10x faster than np.nonzero on mostly-zero maps
    flat = np.flatnonzero(block != 0)
    values = block.ravel()[flat].astype(np.float64)
    finite = np.isfinite(values)  # NaN/inf become 0, as nilearn's clean_img does
    flat, values = flat[finite], values[finite]
    volume, voxel = np.divmod(flat, block.shape[1])
    return voxel, volume, values


def _resampled_entries(
    block: np.ndarray, resampler: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample each map of ``block`` on its own box; return its nonzero entries.

    Values are clipped to the maps' range and rounded to their dtype, as
    ``resample_img`` returns them.
    """
    low, high = value_bounds(block)
    ox, oy, _ = resampler.target_shape
    rows, cols, vals = [], [], []
    for index, volume in enumerate(block):
        found = resampler.resample_local(volume.astype(np.float64))
        if found is None:
            continue
        box, (z, y, x) = found
        box = np.clip(box, low, high).astype(block.dtype)
        iz, iy, ix = np.nonzero(box)
        rows.append(((iz + z.start) * oy + iy + y.start) * ox + ix + x.start)
        cols.append(np.full(iz.size, index))
        vals.append(box[iz, iy, ix].astype(np.float64))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _resample_maps(
    block: np.ndarray, info: Any, shape: tuple[int, int, int], affine: np.ndarray
) -> np.ndarray:
    """Resample maps (rows) with nilearn's ``resample_img`` (any affines)."""
    from nilearn.image import resample_img

    maps = block.reshape(block.shape[0], *info.shape[::-1]).transpose(3, 2, 1, 0)
    img = nib.Nifti1Image(np.ascontiguousarray(maps), info.affine)
    out = resample_img(
        img,
        interpolation="linear",
        target_shape=shape,
        target_affine=affine,
        force_resample=True,
        copy_header=True,
    )
    data = np.asanyarray(out.dataobj)
    return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(block.shape[0], -1)


class Maps(GridCachedSource):
    """A 4D probabilistic atlas, aligned to each image grid on demand.

    Parameters
    ----------
    path : str
        The 4D maps image.
    labels : sequence of str, str or None
        Map names in volume order (a list, or a TSV with a ``Labels`` column
        or BIDS ``index``/``name`` columns numbering maps from 1). Default:
        the map numbers ``1..n``.
    mask_img : str or None
        Mask restricting the fit to the voxels inside it.
    allow_overlap : bool or None
        Allow maps that share voxels; None means True (nilearn's default for
        maps, which usually overlap).
    """

    kind = "maps"

    def __init__(
        self,
        path: str,
        *,
        labels: Sequence[str] | str | None = None,
        mask_img: str | None = None,
        allow_overlap: bool | None = None,
    ) -> None:
        self.path = path
        self.maps = read_maps(path)
        if self.maps.nnz == 0:
            raise RoiError(
                f"'roi_file' '{path}' has only zero maps, so it defines no region."
            )
        header = nib.load(path)
        self.shape, self.affine = tuple(int(n) for n in header.shape[:3]), header.affine
        # nilearn's overlap test zeroes values below eps of the maps' float dtype
        dtype = header.get_data_dtype()
        self.eps = float(
            np.finfo(np.float64 if dtype == np.float64 else np.float32).eps
        )
        n_maps = self.maps.shape[1]
        self.ids, self.names = resolve_region_names(
            labels, list(range(1, n_maps + 1)), path, "maps"
        )
        self.mask_img = mask_img
        self.allow_overlap = True if allow_overlap is None else bool(allow_overlap)
        self.voxels_in_maps = np.diff(self.maps.indptr)

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "roi_file": self.path,
            "regions": [{"index": i, "name": n} for i, n in zip(self.ids, self.names)],
            "strategy": "least squares fit of the maps (NiftiMapsMasker)",
            "mask_img": self.mask_img,
            "allow_overlap": self.allow_overlap,
        }

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return each voxel of the maps' support numbered by its largest map."""
        if grid_key(shape, affine) != grid_key(self.shape, self.affine):
            return super().region_image(reduction, shape, affine)
        flat = np.zeros(int(np.prod(shape)), dtype=np.int32)
        voxels = np.asarray(reduction.voxels, dtype=np.int64)
        weights = self.maps.tocsr()[voxels]
        flat[voxels] = np.asarray(abs(weights).argmax(axis=1)).ravel() + 1
        note = (
            "Each voxel of the maps' support is drawn in the colour of its largest map."
        )
        return flat.reshape(shape, order="F"), note

    def extent_mm(self) -> np.ndarray:
        """Return the bounding box in mm of the maps' non-zero voxels."""
        flat = np.unique(self.maps.indices)
        ijk = np.stack(np.unravel_index(flat, self.shape, order="F"), axis=1)
        return extent_mm(ijk, self.affine)

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        if grid_key(shape, affine) == grid_key(self.shape, self.affine):
            maps = self.maps
        else:
            maps = read_maps(self.path, shape, affine)
        if not self.allow_overlap:
            self._check_overlap(maps)
        on_grid = np.diff(maps.indptr)
        weight_on_grid = np.asarray(abs(maps).sum(axis=0)).ravel()
        if self.mask_img is not None:
            inside = mask_on_grid(self.mask_img, shape, affine).ravel(order="F")
            maps = sparse.csc_array(
                sparse.diags_array(inside.astype(np.float64)) @ maps
            )
            maps.eliminate_zeros()
        reduction = maps_reduction(maps, self.names)
        used = np.diff(maps.indptr)
        reduction.region_voxels = used.tolist()
        # A map's coverage is the share of its weight, on the image's grid, that the
        # signal is over (inside the mask): XCP-D's share of a region's voxels, each
        # voxel counted by its |weight| (for a 0/1 map, the share of its voxels).
        weight_used = np.asarray(abs(maps).sum(axis=0)).ravel()
        reduction.coverage = [
            {
                "region": name,
                "voxels_in_roi": int(total),
                "voxels_used": int(n),
                "voxels_on_image_grid": int(whole),
                "fraction": float(w / w_all) if w_all else 0.0,
            }
            for name, total, n, whole, w, w_all in zip(
                self.names,
                self.voxels_in_maps,
                used,
                on_grid,
                weight_used,
                weight_on_grid,
            )
        ]
        return reduction

    def _check_overlap(self, maps: sparse.csc_array) -> None:
        inside = sparse.csr_array(maps >= self.eps)
        counts = np.diff(inside.indptr)
        shared = np.flatnonzero(counts > 1)
        if shared.size == 0:
            return
        pairs: set[tuple[int, int]] = set()
        for voxel in shared[:10000]:
            owners = inside.indices[inside.indptr[voxel] : inside.indptr[voxel + 1]]
            pairs.update(itertools.combinations(sorted(owners.tolist()), 2))
        ordered = sorted(pairs)
        shown = ", ".join(f"{self.names[a]} & {self.names[b]}" for a, b in ordered[:10])
        raise RoiError(
            f"Maps of '{self.path}' overlap on the image grid ({shared.size} voxels "
            f"shared), e.g. {shown}{', ...' if len(ordered) > 10 else ''}. Set "
            "'allow_overlap' (--allow_overlap) to fit overlapping maps, as "
            "probabilistic atlases need."
        )


def maps_reduction(maps: sparse.csc_array, names: Sequence[str]) -> Reduction:
    """Return a reduction fitting each volume by least squares on the maps.

    Parameters
    ----------
    maps : scipy.sparse.csc_array
        ``(n_voxels, n_maps)`` map values on the image grid, voxels in
        Fortran order, already masked.
    names : sequence of str
        Column names, one per map.

    Returns
    -------
    Reduction
        Empty maps give NaN columns listed in ``empty_columns``.
    """
    present = np.flatnonzero(np.diff(maps.indptr) > 0)
    support = np.flatnonzero(np.bincount(maps.indices, minlength=maps.shape[0]))
    weights = sparse.csc_array(maps[support][:, present])
    with one_blas_thread():  # a Cholesky of ~1000 maps: threads only contend
        inverse_gram = _inverse_gram((weights.T @ weights).toarray())
    density = weights.nnz / max(weights.shape[0] * weights.shape[1], 1)
    if density >= SPARSE_DENSITY and weights.shape[0] * weights.shape[1] <= DENSE_LIMIT:
        weights = weights.toarray()
    # M.T as CSC (the transpose of M in CSR): the product then runs voxel by
    # voxel, reading the volumes' values in order and adding into the small
    # maps x volumes result, 3-7x faster than a CSR M.T that gathers values
    # from all over the volume for each map.
    transposed = (
        sparse.csr_array(weights).T
        if sparse.issparse(weights)
        else np.ascontiguousarray(weights.T)
    )
    n_columns = len(names)

    def reduce(values: np.ndarray) -> np.ndarray:
        out = np.full((values.shape[0], n_columns), np.nan)
        if present.size:
            projected = transposed @ values.T.astype(
                np.float64
            )  # (n_present, n_volumes)
            # a few volumes per chunk: one thread (the stream inflates in another)
            with one_blas_thread():
                out[:, present] = (inverse_gram @ projected).T
        return out

    return Reduction(
        columns=list(names),
        voxels=support.astype(np.int64),
        reduce=reduce,
        empty_columns=[
            names[i] for i in sorted(set(range(n_columns)) - set(present.tolist()))
        ],
    )


def _inverse_gram(gram: np.ndarray) -> np.ndarray:
    """Inverse of ``M.T @ M``: Cholesky when well conditioned, else the pseudo-inverse.

    The pseudo-inverse gives the minimum-norm solution ``lstsq`` returns for
    rank-deficient maps (e.g. two identical maps).
    """
    if gram.size == 0:
        return gram
    try:
        factor = linalg.cho_factor(gram, lower=True)
        rcond, info = linalg.lapack.dpocon(factor[0], np.linalg.norm(gram, 1), uplo="L")
        if info == 0 and rcond > 1e-10:
            return linalg.cho_solve(factor, np.eye(len(gram)))
    except linalg.LinAlgError:
        pass
    return linalg.pinvh(gram)
