"""``SurfaceMasker``: nilearn's vertex masker on ``SurfaceImage``, cleaned as one operator."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .surface_base import (
    SurfaceMaskerBase,
    check_sample_dims,
    check_surface_imgs,
    load_surface_mask,
)

__all__ = ["SurfaceMasker"]


class SurfaceMasker(SurfaceMaskerBase):
    """Signals of the vertices of a mask: nilearn's ``SurfaceMasker``, faster.

    A drop-in for ``nilearn.maskers.SurfaceMasker`` (nilearn 0.14): the same
    parameters, defaults, methods, fitted attributes, warnings and errors,
    taking and giving nilearn's ``SurfaceImage``. The vertices are gathered
    as nilearn gathers them (the values are nilearn's exactly) and cleaned
    as one linear operator (:func:`~niimasker_core.signal.clean.clean` with
    many columns), which agrees with ``nilearn.signal.clean`` to float
    rounding.

    Differences from nilearn, on purpose: ``standardize=True`` divides by
    the population standard deviation (niimasker's meaning, as for the
    volume drop-ins); ``"zscore_sample"`` is nilearn 0.14's ``True``.

    Parameters
    ----------
    mask_img : SurfaceImage or None
        Vertices to keep (non-zero and finite in every sample); None: the
        vertices finite in every sample of the images given to ``fit``.
    smoothing_fwhm : float or None
        Smoothing on the mesh (nilearn's ``smooth_img``) before extraction.
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
    mask_img_ : SurfaceImage
        The 1D boolean mask.
    n_elements_ : int
        Vertices in the mask (output columns).
    clean_args_ : dict
        The ``clean_args`` used.
    memory_ : joblib.Memory
        The cache.
    """

    _many_columns = True

    def __init__(
        self,
        mask_img=None,
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
        self.mask_img = mask_img
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

    def __sklearn_is_fitted__(self) -> bool:
        """Return True once ``fit`` has run."""
        return (
            getattr(self, "mask_img_", None) is not None
            and getattr(self, "n_elements_", None) is not None
        )

    def fit(self, imgs=None, y=None):
        """Binarise ``mask_img``, or compute the mask of ``imgs``.

        Parameters
        ----------
        imgs : SurfaceImage, list of SurfaceImage or None
            Images the mask is computed from (when no ``mask_img``).
        y : None
            Unused.

        Returns
        -------
        SurfaceMasker
            The fitted masker.

        Raises
        ------
        TypeError, ValueError
            As nilearn's ``SurfaceMasker.fit``.
        """
        del y
        self._check_fit_params()
        if imgs is not None:
            self._say("load_data", imgs)
            check_surface_imgs(imgs)
            check_sample_dims(imgs, self._ndim_message)
        return self._fit(imgs)

    def _fit(self, imgs):
        self._fit_cache()
        self.mask_img_ = load_surface_mask(self, imgs)
        if self.mask_img_ is not None:
            if imgs is not None:
                warnings.warn(
                    f"[{type(self).__name__}.fit] Generation of a mask has been "
                    "requested (imgs != None) while a mask was given at masker "
                    "creation. Given mask will be used.",
                    RuntimeWarning,
                    stacklevel=3,
                )
        elif imgs is None:
            raise ValueError(
                f"Parameter 'imgs' must be provided to {type(self).__name__}.fit() "
                "if no mask is passed to mask_img."
            )
        else:
            self._say("compute_mask", imgs)
            self.mask_img_ = _finite_mask(imgs)
        bounds = np.cumsum(
            [0] + [int(m.sum()) for m in self.mask_img_.data.parts.values()]
        )
        self._slices = {
            part: (int(bounds[i]), int(bounds[i + 1]))
            for i, part in enumerate(self.mask_img_.data.parts)
        }
        self.n_elements_ = int(bounds[-1])
        self._set_clean_args()
        self._reset_report(imgs)
        self._say("fit_done")
        return self

    def _mesh_reference(self):
        return self.mask_img_

    def _extract(self, img) -> np.ndarray:
        parts = img.data.parts
        n_samples = 1 if len(img.shape) < 2 else img.shape[1]
        output = np.empty((n_samples, self.n_elements_))
        for part, (start, stop) in self._slices.items():
            mask = np.asarray(self.mask_img_.data.parts[part]).ravel()
            values = np.asarray(parts[part])
            output[:, start:stop] = values.reshape(values.shape[0], -1)[mask].T
        return output

    def inverse_transform(self, signals):
        """Return the ``SurfaceImage`` with each masked vertex set to its signal.

        Parameters
        ----------
        signals : numpy.ndarray or DataFrame
            ``(n_samples, n_elements_)`` or ``(n_elements_,)``.

        Returns
        -------
        SurfaceImage
            On the mask's mesh; 0 outside the mask.
        """
        check_is_fitted(self)
        return_1d = hasattr(signals, "ndim") and signals.ndim < 2
        signals = self._check_array(signals, sklearn_check=False)
        data = {}
        for part, mask in self.mask_img_.data.parts.items():
            data[part] = np.zeros((mask.shape[0], signals.shape[0]))
            start, stop = self._slices[part]
            data[part][np.asarray(mask).ravel()] = signals[:, start:stop].T
        return self._finish_inverse(signals, data, self.mask_img_.mesh, return_1d)


def _finite_mask(imgs):
    """Return the vertices finite in every sample of ``imgs`` (nilearn's computed mask)."""
    from nilearn.surface import SurfaceImage

    images = [imgs] if isinstance(imgs, SurfaceImage) else list(imgs)
    mesh = images[0].mesh
    mask = {}
    for img in images:
        if sum(np.asarray(p).size for p in img.data.parts.values()) == 0:
            raise ValueError("The image is empty.")
    for part in images[0].data.parts:
        finite = None
        for img in images:
            values = np.asarray(img.data.parts[part])
            values = values.reshape(values.shape[0], -1)
            ok = np.isfinite(values.astype("float32")).all(axis=1)
            finite = ok if finite is None else finite & ok
        mask[part] = finite
        if not finite.all():
            warnings.warn(
                "Non-finite values detected in the input image. "
                "The computed mask will mask out these vertices.",
                stacklevel=4,
            )
    return SurfaceImage(mesh=mesh, data=mask)
