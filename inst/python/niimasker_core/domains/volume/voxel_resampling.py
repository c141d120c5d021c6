"""Resampling a chunk onto the voxels a reduction reads, not onto the whole grid.

nilearn resamples every volume of an image to the atlas's (or maps', or
mask's) grid with ``scipy.ndimage.affine_transform`` (``"continuous"``: cubic
B-splines, scipy's prefilter, ``mode="constant"``), clips the result to the
image's range and then reads the region's voxels. Clipping is not linear, so
a region mean of the resampled image is not one fixed operator on the
original voxels: every voxel read must be resampled, then clipped. What need
not be computed is everything else. Between axis-aligned grids the spline
is separable, so a chunk is resampled here as:

- along z: scipy's own 1D prefilter (``spline_filter1d``, the filter
  ``affine_transform`` runs), on the box of nonzero data only (lines of
  zeros stay zeros); its 4 interpolation taps come last;
- along x and y: the 1D operators of :mod:`.resampling` (prefilter and taps
  as one matrix), as two BLAS products restricted to the rows of the
  target voxels read and the columns of the nonzero data;
- along z: for each voxel read, its 4 taps (scipy's cubic B-spline weights,
  nonnegative) on the x/y-resampled, z-prefiltered values.

A 1.5 mm atlas reading 2/3 of its grid from a 2 mm run so costs about a
quarter of resampling the whole grid, and nothing of the grid's size is
allocated. The values equal :class:`~.resampling.SeparableResampler`'s at
those voxels (and so nilearn's), clipped the same way.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

from .resampling import ReferencedResampling, _axis_operator

__all__ = ["VoxelResampler"]


@lru_cache(maxsize=32)
def _axis_taps(n_in: int, n_out: int, zoom: float, shift: float) -> np.ndarray:
    """Return the ``(n_out, n_in)`` cubic interpolation matrix without prefilter.

    Column ``j`` is scipy's 1D ``affine_transform`` of the unit vector ``e_j``
    with ``prefilter=False`` (``mode="constant"``): the B-spline weights of
    each output point, at most 4 per row, all nonnegative.
    """
    from scipy.ndimage import affine_transform

    taps = np.empty((n_out, n_in))
    unit = np.zeros(n_in)
    for j in range(n_in):
        unit[:] = 0.0
        unit[j] = 1.0
        taps[:, j] = affine_transform(
            unit,
            np.array([zoom]),
            offset=shift,
            output_shape=(n_out,),
            order=3,
            mode="constant",
            cval=0.0,
            prefilter=False,
        )
    taps.setflags(write=False)
    return taps


def _span(values: np.ndarray) -> tuple[int, int]:
    """Return ``(first, stop)`` of the True entries of a 1D mask (``(0, 0)`` if none)."""
    where = np.flatnonzero(values)
    return (0, 0) if where.size == 0 else (int(where[0]), int(where[-1]) + 1)


class VoxelResampler(ReferencedResampling):
    """Resample chunks of one image onto chosen voxels of another grid (cubic).

    Parameters
    ----------
    source_shape, target_shape : tuple of int
        Grid shapes.
    zooms, shifts : numpy.ndarray
        From :func:`~.resampling.axis_aligned_transform`.
    voxels : numpy.ndarray
        Flat indices (Fortran order) of the target voxels wanted, in the order
        the values are returned.
    """

    volume_axis = 1  # ``_resample`` gives (n_voxels, n)

    def __init__(self, source_shape, target_shape, zooms, shifts, voxels) -> None:
        self.source_shape = tuple(int(n) for n in source_shape)
        self.target_shape = tuple(int(n) for n in target_shape)
        voxels = np.asarray(voxels, dtype=np.int64)
        ox, oy, _ = self.target_shape
        i, j, k = voxels % ox, (voxels // ox) % oy, voxels // (ox * oy)
        self.rows_x = _span(np.isin(np.arange(ox), i)) if voxels.size else (0, 0)
        self.rows_y = _span(np.isin(np.arange(oy), j)) if voxels.size else (0, 0)
        nx, ny, nz = self.source_shape
        args = [
            (n, o, float(z), float(s))
            for n, o, z, s in zip(
                self.source_shape, self.target_shape, zooms, shifts, strict=True
            )
        ]
        self.op_x = _axis_operator(*args[0], 3)[slice(*self.rows_x)]
        self.op_y = _axis_operator(*args[1], 3)[slice(*self.rows_y)]
        taps = _axis_taps(*args[2])  # (oz, nz): the z weights of each target z
        width = max(int((taps != 0).sum(axis=1).max()), 1)
        order = np.argsort(taps == 0, axis=1, kind="stable")[:, :width]
        weights = np.take_along_axis(taps, order, axis=1)
        order, self.z_weights = order[k], weights[k]  # each voxel's own
        live_z = order[self.z_weights != 0]
        self.z_span = _span(np.isin(np.arange(nz), live_z)) if live_z.size else (0, 1)
        self.z_rel = np.clip(
            order - self.z_span[0], 0, self.z_span[1] - self.z_span[0] - 1
        )
        self.ij_rel = (j - self.rows_y[0], i - self.rows_x[0])
        self.n_voxels = voxels.size
        self._taps: dict = {}
        self._lock = threading.Lock()

    def _resample(self, block: np.ndarray, dtype: Any) -> np.ndarray:
        """Return ``(n_voxels, n)`` values at the voxels in ``dtype`` (not clipped)."""
        from scipy.ndimage import spline_filter1d  # scipy: imported when used

        n = block.shape[0]
        nx, ny, nz = self.source_shape
        if self.n_voxels == 0 or self.rows_x[0] == self.rows_x[1]:
            return np.zeros((self.n_voxels, n), dtype=dtype)
        cube = block.reshape(n, nz, ny, nx)
        live = cube.any(axis=(0, 1))  # (ny, nx)
        cy, cx = _span(live.any(axis=1)), _span(live.any(axis=0))
        if cy[0] == cy[1]:
            return np.zeros((self.n_voxels, n), dtype=dtype)  # so is every value
        # z prefilter on every line of nonzero data, then its taps' z range
        cut = spline_filter1d(
            cube[:, :, slice(*cy), slice(*cx)],
            3,
            axis=1,
            output=dtype,  # computed in float64 along each line, stored as dtype
            mode="constant",
        )[:, slice(*self.z_span)]
        op_x = self.op_x[:, slice(*cx)].astype(dtype)
        op_y = self.op_y[:, slice(*cy)].astype(dtype)
        # each axis contracted first as one large product, x staying innermost
        cut = np.ascontiguousarray(cut.transpose(2, 1, 0, 3))  # (y, z, n, x)
        step = cut.reshape(-1, cut.shape[3]) @ op_x.T  # (y z n, x')
        step = op_y @ step.reshape(cut.shape[0], -1)  # (y', z n x')
        flat = step.reshape(-1)
        taps = self._z_taps(n, dtype)
        width = self.rows_x[1] - self.rows_x[0]
        out = np.empty((self.n_voxels, n), dtype=dtype)
        for volume in range(n):  # each volume's values: a contiguous view
            start = volume * width
            out[:, volume] = taps @ flat[start : start + taps.shape[1]]
        return out

    def _z_taps(self, n: int, dtype: Any) -> Any:
        """Return the sparse ``(n_voxels, ...)`` z taps on one volume of ``(y', z, n, x')``.

        Volume ``v``'s values start ``v * x'`` further in the flat array, so
        one matrix (per number of volumes in a chunk) reads every volume.
        """
        key = (n, np.dtype(dtype))
        with self._lock:  # the halves of a chunk ask at once
            if key not in self._taps:
                self._taps[key] = self._make_taps(n, dtype)
                if len(self._taps) > 4:  # two halves, the reference, a last chunk
                    self._taps.pop(next(iter(self._taps)))
            return self._taps[key]

    def _make_taps(self, n: int, dtype: Any) -> Any:
        from scipy import sparse  # scipy: imported when used

        width = self.rows_x[1] - self.rows_x[0]
        n_z = self.z_span[1] - self.z_span[0]
        j_rel, i_rel = self.ij_rel
        cols = ((j_rel[:, None] * n_z + self.z_rel) * n) * width + i_rel[:, None]
        n_cols = (self.rows_y[1] - self.rows_y[0]) * n_z * n * width
        n_taps = self.z_rel.shape[1]
        return sparse.csr_matrix(
            (
                self.z_weights.astype(dtype).ravel(),
                cols.ravel(),
                np.arange(0, n_taps * self.n_voxels + 1, n_taps),
            ),
            shape=(self.n_voxels, max(n_cols - (n - 1) * width, 1)),
        )

    def __call__(self, block: np.ndarray, clip: Any = "block") -> np.ndarray:
        """Return ``(n_volumes, n_voxels)`` resampled values, dtype of ``block``.

        Parameters
        ----------
        block : numpy.ndarray
            ``(n_volumes, n_source_voxels)`` float32 or float64 volumes in
            Fortran voxel order, all finite.
        clip : "block", tuple of float or None
            As :func:`~.resampling.resample_separable`.

        Returns
        -------
        numpy.ndarray
            The values at the voxels, clipped as nilearn clips, in Fortran
            order (volumes vary fastest) as the engine's gathers return them.
        """
        # laid out as the engine's gathers lay out their values
        return super().__call__(block, clip).T
