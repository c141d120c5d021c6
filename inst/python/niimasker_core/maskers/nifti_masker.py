"""``NiftiMasker``: nilearn's voxel masker, as a faster drop-in estimator.

``fit`` resolves the mask exactly as nilearn 0.14 does (given, or computed with
nilearn's own mask functions, then resampled to ``target_affine``/``target_shape``);
``transform`` streams each image once through the project's engine and cleans
every voxel at once (:mod:`~niimasker_core.signal.operator`) instead of
nilearn's per-column loops. Voxels come in nilearn's order (C order of the mask).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..domains.volume.grid import Grid, grid_key
from ..params.vocabulary import MASK_STRATEGIES, target_dtype
from ..rois.voxels import (
    check_field_of_view,
    compute_mask,
    given_mask,
    mask_data,
    mask_voxels,
    resample_mask,
    warn_resampling,
)
from .base import VolumeMasker, extract_voxels
from .image_signals import ImageInput, clean_image_signals, coerce_image

__all__ = ["NiftiMasker"]


class NiftiMasker(VolumeMasker):
    """Extract voxel signals in a mask, clean them: nilearn's ``NiftiMasker``, faster.

    The constructor, methods and attributes are those of
    ``nilearn.maskers.NiftiMasker`` and the numbers equal nilearn 0.14's for
    the same settings (within float32 rounding), with one deliberate
    difference: ``standardize=True`` (and ``"zscore"``) divide by the
    *population* standard deviation (ddof 0), the meaning nilearn gave them
    before 0.14 mapped ``True`` to ``"zscore_sample"`` (ddof 1). Use
    ``standardize="zscore_sample"`` for nilearn 0.14's numbers.

    Parameters
    ----------
    mask_img : Niimg-like or None, default=None
        Mask of the voxels to extract. If None, it is computed in ``fit`` with
        ``mask_strategy`` and ``mask_args``. When images and mask differ in
        grid, images are resampled (continuous) to the box of the mask.
    runs : numpy.ndarray or None, default=None
        A run label per volume; each run is cleaned on its own.
    smoothing_fwhm : float or None, default=None
        Gaussian smoothing FWHM in mm, as ``nilearn.image.smooth_img``.
    standardize : {'zscore_sample', 'zscore', 'psc', True, False, None}, default=False
        ``'zscore_sample'``: zero mean, unit sample std (ddof 1).
        ``'zscore'`` and True: zero mean, unit population std (ddof 0).
        ``'psc'``: percent signal change. False/None: none.
    standardize_confounds : bool, default=True
        Z-score confounds before regressing them out.
    detrend : bool, default=False
        Remove a linear trend from each voxel.
    high_variance_confounds : bool, default=False
        Regress out ``nilearn.image.high_variance_confounds`` of each image.
    low_pass : float or None, default=None
        Butterworth low-pass cut-off in Hz (needs ``t_r``).
    high_pass : float or None, default=None
        Butterworth high-pass cut-off in Hz (needs ``t_r``).
    t_r : float or None, default=None
        Repetition time in seconds.
    target_affine : numpy.ndarray or None, default=None
        3x3 or 4x4 affine the mask is resampled to (nearest), see
        ``nilearn.image.resample_img``.
    target_shape : tuple of int or None, default=None
        Shape the mask is resampled to.
    mask_strategy : str, default='background'
        ``'background'``, ``'epi'``, ``'whole-brain-template'``,
        ``'gm-template'`` or ``'wm-template'``: nilearn's
        ``compute_background_mask``, ``compute_epi_mask`` or
        ``compute_brain_mask``.
    mask_args : dict or None, default=None
        Extra arguments of the mask function.
    dtype : dtype, 'auto' or None, default=None
        Dtype of the signals; ``'auto'`` gives int32 for integer data and
        float32 otherwise.
    memory : None, str, pathlib.Path or joblib.Memory, default=None
        Cache (a folder or a ``joblib.Memory``) for mask computation and
        extraction.
    memory_level : int, default=1
        Caching happens when ``memory`` is given and this is at least 1.
    verbose : int, default=0
        Verbosity.
    reports : bool, default=True
        Keep what ``generate_report`` needs.
    cmap : str, default='gray'
        Colormap of the report figures (nilearn 0.14).
    clean_args : dict or None, default=None
        Further ``nilearn.signal.clean`` arguments (``butterworth__<argument>``
        for its Butterworth filter).

    Attributes
    ----------
    mask_img_ : nibabel.nifti1.Nifti1Image
        The mask used, given or computed, after resampling.
    affine_ : numpy.ndarray
        Affine of the transformed image.
    n_elements_ : int
        Number of voxels in the mask.
    clean_args_ : dict
        The ``nilearn.signal.clean`` arguments used.
    memory_ : joblib.Memory
        The cache.
    """

    def __init__(
        self,
        mask_img=None,
        runs=None,
        smoothing_fwhm=None,
        standardize=False,
        standardize_confounds=True,
        detrend=False,
        high_variance_confounds=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        target_affine=None,
        target_shape=None,
        mask_strategy="background",
        mask_args=None,
        dtype=None,
        memory=None,
        memory_level=1,
        verbose=0,
        reports=True,
        cmap="gray",
        clean_args=None,
    ):
        self.mask_img = mask_img
        self.runs = runs
        self.smoothing_fwhm = smoothing_fwhm
        self.standardize = standardize
        self.standardize_confounds = standardize_confounds
        self.detrend = detrend
        self.high_variance_confounds = high_variance_confounds
        self.low_pass = low_pass
        self.high_pass = high_pass
        self.t_r = t_r
        self.target_affine = target_affine
        self.target_shape = target_shape
        self.mask_strategy = mask_strategy
        self.mask_args = mask_args
        self.dtype = dtype
        self.memory = memory
        self.memory_level = memory_level
        self.verbose = verbose
        self.reports = reports
        self.cmap = cmap
        self.clean_args = clean_args

    #: nilearn's NiftiMasker refuses an empty mask at fit; MultiNiftiMasker keeps it
    _allow_empty_mask = False

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "mask_img_")

    def _check_mask_strategy(self) -> None:
        """Raise nilearn's ValueError for an unknown ``mask_strategy``."""
        if self.mask_strategy not in MASK_STRATEGIES:
            compute_mask(None, self.mask_strategy, None)

    def _compute_mask(self, imgs):
        """Compute the mask of ``imgs`` (MultiNiftiMasker computes it per image)."""
        return compute_mask(imgs, self.mask_strategy, self.mask_args, self.memory_)

    @property
    def _n_features_out(self) -> int:
        return self.n_elements_

    # ------------------------------------------------------------------ fit
    def fit(self, imgs=None, y=None):
        """Compute the mask corresponding to the data.

        Parameters
        ----------
        imgs : Niimg-like, list of Niimg-like or None, default=None
            Data on which the mask is computed (when ``mask_img`` is None).
        y : None
            Unused; for scikit-learn compatibility.

        Returns
        -------
        NiftiMasker
            The fitted masker.
        """
        del y
        if self.dtype is bool:
            raise TypeError("'dtype' cannot be bool")
        if imgs is not None:
            self._check_imgs(imgs)
        self._check_mask_strategy()
        self.clean_args_ = self._clean_kwargs()
        self._fit_cache()
        self._log("load_data", imgs)
        if self.mask_img is None:
            if imgs is None:
                raise ValueError(
                    "Parameter 'imgs' must be provided to NiftiMasker.fit() if no "
                    "mask is passed to mask_img."
                )
            self._log("compute_mask")
            mask = self._compute_mask(imgs)
        else:
            self._log("load_mask", self.mask_img)
            mask = given_mask(self.mask_img)
            if imgs is not None:
                warnings.warn(
                    "[NiftiMasker.fit] Generation of a mask has been requested "
                    "(imgs != None) while a mask was given at masker creation. Given "
                    "mask will be used.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self._log("resample_mask")
        mask = resample_mask(mask, self.target_affine, self.target_shape, self._cache)
        self.mask_img_ = mask
        self.affine_ = (
            self.target_affine if self.target_affine is not None else mask.affine
        )
        self._mask_data = mask_data(mask, allow_empty=self._allow_empty_mask)
        self.n_elements_ = int(self._mask_data.sum())
        self._reduction_cache = {}
        self._reset_report(imgs)
        self._log("fit_done")
        return self

    # ------------------------------------------------------------- transform
    def transform(self, imgs, confounds=None, sample_mask=None):
        """Apply mask, spatial and temporal preprocessing.

        Parameters
        ----------
        imgs : 3D/4D Niimg-like or list of 3D Niimg-like
            Images to process; a 3D image gives a 1D array (one volume).
        confounds : array-like, DataFrame, path or list of them, optional
            ``(n_volumes, n_confounds)`` regressors, as ``nilearn.signal.clean``.
        sample_mask : array-like, optional
            Volumes to keep (indices or booleans; one per run with ``runs``).

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals.
        """
        check_is_fitted(self)
        self._check_imgs(imgs)
        self._warn_boolean_standardize()
        return self._transform(imgs, confounds, sample_mask)

    def transform_single_imgs(self, imgs, confounds=None, sample_mask=None, copy=True):
        """Apply mask, spatial and temporal preprocessing to one image.

        Parameters
        ----------
        imgs : 3D/4D Niimg-like
            The image.
        confounds : array-like, DataFrame, path or list of them, optional
            Regressors, as for :meth:`transform` (high-variance confounds are
            not added here, as in nilearn).
        sample_mask : array-like, optional
            Volumes to keep.
        copy : bool, default=True
            Unused: the result is always a new array.

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals.
        """
        del copy
        check_is_fitted(self)
        self._check_imgs(imgs)
        return self._transform(imgs, confounds, sample_mask, with_hv=False)

    def fit_transform(
        self, imgs, y=None, confounds=None, sample_mask=None, **fit_params
    ):
        """Fit to data, then transform it.

        Parameters
        ----------
        imgs : Niimg-like or list of 3D Niimg-like
            The images.
        y : None
            Unused.
        confounds : array-like, DataFrame, path or list of them, optional
            Regressors.
        sample_mask : array-like, optional
            Volumes to keep.
        **fit_params : dict
            Passed to :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*Generation of a mask.*")
            self.fit(imgs, y, **fit_params)
        return self.transform(imgs, confounds=confounds, sample_mask=sample_mask)

    def _transform(
        self, imgs, confounds, sample_mask, with_hv: bool = True, discard_scans=0
    ):
        self._warn_population_standardize()
        self._log("load_data", imgs)
        image = coerce_image(imgs)
        voxels, grid, same = self._reduction_for(image)
        self._log("extracting")
        self._log("cleaning")
        # nilearn's private ``_shelving`` attribute, set on an instance: the
        # transform returns joblib's shelved result (its ``get()`` the signals).
        shelve = bool(getattr(self, "_shelving", False))
        run = self._cache(_extract_and_clean, shelve=shelve)
        signals = run(
            image.original,
            image,
            voxels,
            grid,
            same,
            self.smoothing_fwhm,
            self.t_r,
            self._cleaning(with_hv),
            confounds,
            sample_mask,
            discard_scans,
            # a 3D image gives one row, as 1D unless set_output asks a table
            image.ndim == 3 and getattr(self, "_sklearn_output_config", None) is None,
        )
        if shelve:
            return signals
        wanted = target_dtype(image.source_dtype, self.dtype)
        if wanted is None and self.dtype is not None:
            wanted = image.source_dtype
        if wanted is not None:
            signals = signals.astype(wanted)
        return signals

    def _reduction_for(self, image: ImageInput) -> tuple[np.ndarray, Grid, bool]:
        """Voxel indices, grid and same-grid flag of the mask for this image's grid.

        Like nilearn, an image on another grid is resampled to the mask cropped
        to its bounding box (plus one voxel), and smoothed there.
        """
        key = grid_key(image.shape, image.affine)
        cache = self.__dict__.setdefault("_reduction_cache", {})
        if key not in cache:
            found = mask_voxels(
                self.mask_img_, self._mask_data, image.shape, image.affine
            )
            if not found[2]:  # nilearn's resampling to the mask's box refuses this
                check_field_of_view(found[1], image.shape, image.affine)
            cache[key] = found
        if not cache[key][2]:
            warn_resampling(stacklevel=4)
        return cache[key]

    # ------------------------------------------------------ inverse, report
    def inverse_transform(self, X):
        """Transform signals back to an image in brain space (zeros outside the mask).

        Parameters
        ----------
        X : numpy.ndarray or DataFrame
            ``(n_elements_,)`` for a 3D image, ``(n_volumes, n_elements_)`` for 4D.

        Returns
        -------
        nibabel.Nifti1Image
            The image, on the grid of ``mask_img_``.
        """
        check_is_fitted(self)
        self._log("inverse_transform")
        if hasattr(X, "to_numpy"):
            X = X.to_numpy().squeeze()
        X = np.atleast_1d(np.asarray(X))
        if X.ndim > 2:
            raise ValueError(
                f"Input to 'inverse_transform' must be 1D or 2D; got {X.ndim}D."
            )
        expected = (
            (self.n_elements_,) if X.ndim == 1 else (X.shape[0], self.n_elements_)
        )
        if X.shape != expected:
            raise ValueError(
                "Input to 'inverse_transform' has wrong shape.\n"
                f"Expected {expected}.\nGot {X.shape}."
            )
        if X.dtype == bool:
            cast = self.dtype if self.dtype is not None else np.int32
            warnings.warn(f"Casting boolean input to {cast}", UserWarning, stacklevel=2)
            X = X.astype(cast)
        from nilearn.image import new_img_like  # nilearn's int64 handling, warning

        # nilearn's steps: unmask in the signals' dtype (new_img_like turns
        # int64 into int32, warning), then cast to the target dtype
        mask = self._mask_data
        if X.ndim == 1:
            data = np.zeros(mask.shape, dtype=X.dtype)
            data[mask] = X
        else:
            data = np.zeros((*mask.shape, X.shape[0]), dtype=X.dtype)
            data[mask] = X.T
        img = new_img_like(self.mask_img_, data, self.mask_img_.affine)
        dtype = target_dtype(X.dtype, self.dtype) or X.dtype
        img = new_img_like(img, np.asanyarray(img.dataobj).astype(dtype, copy=False))
        img.set_data_dtype(dtype)
        return img

    def _report_twin_unfitted(self):
        """Nilearn's NiftiMasker given this masker's fitted mask (for reports)."""
        from nilearn.maskers import NiftiMasker as NilearnNiftiMasker

        return NilearnNiftiMasker(
            mask_img=self.mask_img_ if hasattr(self, "mask_img_") else None,
            reports=self.reports,
            cmap=self.cmap,
        )


def _extract_and_clean(
    original,
    image,
    voxels,
    grid,
    same,
    smoothing_fwhm,
    t_r,
    cleaning,
    confounds,
    sample_mask,
    discard_scans=0,
    squeeze=False,
):
    """Extract and clean one image (module level, so ``joblib.Memory`` can cache it).

    ``original`` (the path or in-memory image) identifies the image for the cache;
    ``squeeze`` returns one volume's row as a 1D array.
    """
    del original
    signals = extract_voxels(image, voxels, grid, same, smoothing_fwhm, discard_scans)
    signals = clean_image_signals(
        signals, image, t_r, cleaning, confounds, sample_mask, discard_scans
    )
    return signals.squeeze() if squeeze else signals
