"""``SurfaceMapsMasker``: nilearn's surface maps masker, solved once as the volume maps are."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted

from ..rois.maps import maps_reduction
from .surface_base import (
    SurfaceMaskerBase,
    check_sample_dims,
    check_surface_imgs,
    load_surface_mask,
    stacked_vertices,
)
from .surface_labels_masker import _gather

__all__ = ["SurfaceMapsMasker"]


class SurfaceMapsMasker(SurfaceMaskerBase):
    """Signals of (overlapping) surface maps: nilearn's ``SurfaceMapsMasker``, faster.

    A drop-in for ``nilearn.maskers.SurfaceMapsMasker`` (nilearn 0.14): the
    same parameters, defaults, methods, fitted attributes, warnings and
    errors. Each sample is fitted by least squares on the maps, as nilearn's
    ``scipy.linalg.lstsq``, but through the maps' Gram matrix, inverted once
    at ``fit`` and applied to every sample in one product
    (:func:`~niimasker_core.rois.maps.maps_reduction`, the volume maps'
    solver). The fit is made in float64 (nilearn solves in float32 when the
    maps are float32), then cast to nilearn's dtype. Cleaning is the
    command's.

    Differences from nilearn, on purpose: ``standardize=True`` divides by
    the population standard deviation (niimasker's meaning);
    ``"zscore_sample"`` is nilearn 0.14's ``True``. ``inverse_transform``
    uses the binarised mask ``mask_img_`` (nilearn indexes with
    ``mask_img`` as given).

    Parameters
    ----------
    maps_img : SurfaceImage
        ``(n_vertices, n_maps)`` map values per part.
    mask_img : SurfaceImage or None
        Vertices the fit uses.
    allow_overlap : bool
        Refuse, at transform, maps all non-zero on a common vertex when False
        (nilearn's check).
    smoothing_fwhm : float or None
        Smoothing on the mesh (nilearn's ``smooth_img``) before the fit.
    standardize : {False, None, True, "zscore", "zscore_sample", "psc"}
        Standardization of the signals.
    standardize_confounds : bool
        Z-score the confounds before regressing them out.
    detrend : bool
        Remove a linear trend.
    high_variance_confounds : bool
        Add ``nilearn.image.high_variance_confounds`` of each image.
    low_pass : float or None
        Low cut-off of the Butterworth filter, in Hz.
    high_pass : float or None
        High cut-off of the Butterworth filter, in Hz.
    t_r : float or None
        Repetition time in seconds.
    dtype : dtype, "auto" or None
        Output dtype, as nilearn.
    memory : joblib.Memory, str or None
        Cache, as nilearn.
    memory_level : int
        Caching aggressiveness.
    verbose : int, default=0
        Verbosity.
    reports : bool
        Keep what ``generate_report`` needs.
    cmap : str
        Colormap of the report.
    clean_args : dict or None
        Further keyword arguments of ``nilearn.signal.clean``.

    Attributes
    ----------
    maps_img_ : SurfaceImage
        The maps, as given.
    mask_img_ : SurfaceImage or None
        The 1D boolean mask.
    n_elements_ : int
        Number of maps.
    clean_args_ : dict
        The ``clean_args`` used.
    memory_ : joblib.Memory
        The cache.
    """

    _report_keeps_transformed = True

    def __init__(
        self,
        maps_img=None,
        mask_img=None,
        allow_overlap=True,
        smoothing_fwhm=None,
        standardize=False,
        standardize_confounds=True,
        detrend=False,
        high_variance_confounds=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        dtype=None,
        memory=None,
        memory_level=1,
        verbose=0,
        reports=True,
        cmap="inferno",
        clean_args=None,
    ):
        self.maps_img = maps_img
        self.mask_img = mask_img
        self.allow_overlap = allow_overlap
        self.smoothing_fwhm = smoothing_fwhm
        self.standardize = standardize
        self.standardize_confounds = standardize_confounds
        self.high_variance_confounds = high_variance_confounds
        self.detrend = detrend
        self.low_pass = low_pass
        self.high_pass = high_pass
        self.t_r = t_r
        self.dtype = dtype
        self.memory = memory
        self.memory_level = memory_level
        self.verbose = verbose
        self.reports = reports
        self.cmap = cmap
        self.clean_args = clean_args

    def fit(self, imgs=None, y=None):
        """Read the maps (sparse, masked) and invert their Gram matrix.

        Parameters
        ----------
        imgs : SurfaceImage, list of them or None
            Only checked (and against ``mask_img``).
        y : None
            Unused.

        Returns
        -------
        SurfaceMapsMasker
            The fitted masker.

        Raises
        ------
        TypeError, ValueError
            As nilearn's ``SurfaceMapsMasker.fit``.
        """
        del y
        self._check_fit_params()
        if imgs is not None:
            self._say("load_data", imgs)
            check_surface_imgs(imgs)
            check_sample_dims(imgs, self._ndim_message)
        return self._fit(imgs)

    def _fit(self, imgs):
        from nilearn.surface.surface import check_surf_img
        from nilearn.surface.utils import check_polymesh_equal

        if self.maps_img is None:
            raise ValueError(
                "Please provide a maps_img during initialization. For example, "
                f"masker = {type(self).__name__}(maps_img=maps_img)"
            )
        if imgs is not None:
            check_surf_img(imgs)
        self._fit_cache()
        self._say("load_regions", self.maps_img)
        self.maps_img.data._check_ndims(2, "maps_img")
        maps = stacked_vertices(self.maps_img)
        if np.all(maps == 0):
            raise ValueError("maps_img contains no map.")
        self.maps_img_ = self.maps_img
        self.n_elements_ = int(self.maps_img.shape[1])
        self.mask_img_ = load_surface_mask(self, imgs)
        inside = None
        if self.mask_img_ is not None:
            check_polymesh_equal(self.maps_img.mesh, self.mask_img_.mesh)
            inside = stacked_vertices(self.mask_img_).ravel().astype(bool)
            if np.all(maps[inside] == 0):
                raise ValueError("No map left after applying mask to the maps image.")
        self._overlap = _overlap(maps)
        self._reducer = self._build_reducer()
        # nilearn's lstsq solves in the maps' and data's common precision
        self._fit_dtype = (
            np.float32 if np.result_type(maps.dtype, np.float32) == np.float32 else None
        )
        self._set_clean_args()
        self._reset_report(imgs)
        self._say("fit_done")
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Return True once ``fit`` has run."""
        return hasattr(self, "n_elements_")

    def _mesh_reference(self):
        return self.maps_img

    def _build_reducer(self):
        """Return the least-squares reduction on the maps, rows outside the mask 0."""
        weights = stacked_vertices(self.maps_img, dtype=np.float64)
        if self.mask_img_ is not None:
            weights[~stacked_vertices(self.mask_img_).ravel().astype(bool)] = 0.0
        return maps_reduction(
            sparse.csc_array(weights), [str(i) for i in range(self.n_elements_)]
        )

    def _check_compatible(self, img) -> None:
        del img  # nilearn checks the images against maps_img in transform_single_imgs

    def _extract(self, img) -> np.ndarray:
        if not self.allow_overlap and self._overlap:
            raise ValueError("Overlap detected in the maps.")
        reducer = self._get_reducer()
        values = _gather(img, reducer.voxels)
        signals = reducer.reduce(np.ascontiguousarray(values.T))
        empty = [int(name) for name in reducer.empty_columns]
        signals[:, empty] = 0.0  # lstsq's minimum-norm value of an empty map
        if self._fit_dtype is not None:
            signals = signals.astype(self._fit_dtype)
        return signals

    def inverse_transform(self, region_signals):
        """Return ``signals @ maps.T`` as a ``SurfaceImage`` (0 outside the mask).

        Parameters
        ----------
        region_signals : numpy.ndarray or DataFrame
            ``(n_samples, n_maps)`` or ``(n_maps,)``.

        Returns
        -------
        SurfaceImage
            On the maps' mesh.
        """
        check_is_fitted(self)
        return_1d = hasattr(region_signals, "ndim") and region_signals.ndim < 2
        signals = self._check_array(region_signals)
        maps = stacked_vertices(self.maps_img)
        vertex_signals = np.zeros((maps.shape[0], signals.shape[0]))
        if self.mask_img_ is None:
            vertex_signals[:] = maps @ signals.T
        else:
            inside = stacked_vertices(self.mask_img_).ravel().astype(bool)
            vertex_signals[inside] = maps[inside] @ signals.T
        data, start = {}, 0
        for part, values in self.maps_img.data.parts.items():
            stop = start + np.asarray(values).shape[0]
            data[part] = vertex_signals[start:stop]
            start = stop
        return self._finish_inverse(signals, data, self.maps_img.mesh, return_1d)


def _overlap(maps: np.ndarray) -> bool:
    """Return nilearn's overlap test: a vertex where every map is non-zero."""
    if np.issubdtype(maps.dtype, np.floating):
        eps = np.finfo(maps.dtype).eps
        nonzero = (maps > eps) | (maps < -eps)
    else:
        nonzero = maps != 0
    return bool(np.any(np.all(nonzero, axis=1)))
