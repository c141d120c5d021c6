"""Region signals of one image: the region maskers' ``transform``, on the streaming engine.

The labels, spheres and maps maskers differ only in the
:class:`~niimasker_core.rois.base.Reduction` they build for an image's grid.
Everything else is :class:`RegionMasker`: it resolves an image into a
:class:`~niimasker_core.maskers.region_job.RegionJob` (the regions on its
grid, the cleaning, the output ``dtype``, as nilearn's when none is given:
:mod:`~niimasker_core.maskers.nilearn_dtypes`; 1D for a 3D image), which
:func:`~niimasker_core.maskers.region_job.run_region_job` streams once
through :func:`niimasker_core.engine.extract` and cleans
(:mod:`~niimasker_core.maskers.image_signals`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..domains.base import CHUNK_BYTES
from ..engine import Reduction
from ..params.vocabulary import target_dtype
from ..signal.cleaning import native_applies
from . import nilearn_dtypes
from .base import VolumeMasker
from .image_signals import ImageInput, coerce_image
from .region_job import RegionJob, run_region_job

__all__ = ["RegionMasker"]


class RegionMasker(VolumeMasker):
    """Base of the region maskers: ``transform`` = reduction + engine + cleaning.

    Subclasses implement ``fit`` and ``_reduction(image)``, which returns the
    :class:`~niimasker_core.rois.base.Reduction` for an image plus the
    :class:`~niimasker_core.maskers.region_job.Columns` applied to the raw
    signals (column selection, zero columns) before cleaning.
    """

    #: Raw bytes streamed per chunk of volumes (see
    #: :func:`~niimasker_core.maskers.image_signals.extract_regions`).
    _chunk_bytes = CHUNK_BYTES

    def _reduction(self, image: ImageInput):
        raise NotImplementedError

    def _signals_dtype(self, data: np.dtype, image: ImageInput) -> np.dtype:
        """Return the dtype of nilearn's raw signals for data of dtype ``data``."""
        del image
        return nilearn_dtypes.labels_signals(data)

    def _nilearn_dtype(self, image: ImageInput, reduction: Reduction) -> np.dtype:
        """Return the dtype nilearn returns for ``image`` when no ``dtype`` is set."""
        data = image.source_dtype
        if reduction.domain is not None:  # the image is resampled to the regions
            data = nilearn_dtypes.resampled(data)
        if self.smoothing_fwhm:
            data = nilearn_dtypes.smoothed(data)
        return nilearn_dtypes.cleaned(self._signals_dtype(data, image))

    def transform(self, imgs, confounds=None, sample_mask=None):
        """Return the region signals of ``imgs``.

        Parameters
        ----------
        imgs : path, nibabel image or list of 3D images
            A 3D or 4D image.
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals (after high-variance confounds).
        sample_mask : array-like or None
            Volumes to keep (indices or booleans).

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals, 1D for a 3D image.
        """
        check_is_fitted(self)
        self._check_imgs(imgs)
        self._warn_boolean_standardize()
        return self._transform(imgs, confounds, sample_mask, with_hv=True)

    def transform_single_imgs(self, imgs, confounds=None, sample_mask=None):
        """Return the region signals of one image (high-variance confounds not added).

        Parameters
        ----------
        imgs : path, nibabel image or list of 3D images
            A 3D or 4D image.
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals.
        sample_mask : array-like or None
            Volumes to keep.

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals, 1D for a 3D image.
        """
        check_is_fitted(self)
        self._check_imgs(imgs)
        return self._transform(imgs, confounds, sample_mask, with_hv=False)

    def fit_transform(self, imgs, y=None, confounds=None, sample_mask=None):
        """Fit to ``imgs``, then return their region signals.

        Parameters
        ----------
        imgs : path, nibabel image or list of 3D images
            A 3D or 4D image.
        y : None
            Unused (scikit-learn compatibility).
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals.
        sample_mask : array-like or None
            Volumes to keep.

        Returns
        -------
        numpy.ndarray
            ``(n_volumes, n_elements_)`` signals, 1D for a 3D image.
        """
        del y
        return self.fit(imgs).transform(
            imgs, confounds=confounds, sample_mask=sample_mask
        )

    def _transform(self, imgs, confounds, sample_mask, with_hv: bool) -> np.ndarray:
        job = self._region_job(imgs, confounds, sample_mask, with_hv)
        self._log("extracting")
        self._log("cleaning")
        return run_region_job(job)

    def _region_job(
        self, imgs, confounds, sample_mask, with_hv: bool, grids: dict | None = None
    ) -> RegionJob:
        """Return what :func:`run_region_job` needs to extract ``imgs`` as this masker.

        The regions are put on the image's grid here (with their warnings), so
        a ``Multi*`` masker's workers need nothing of the masker itself.
        ``grids`` keeps them per grid (shape and affine) across the images of
        one call: the regions depend on nothing else of an image.
        """
        self._warn_population_standardize()
        self._log("load_data", imgs)
        image = coerce_image(imgs)
        grids = {} if grids is None else grids
        grid = (image.shape, np.asarray(image.affine, dtype=float).tobytes())
        if grid not in grids:
            grids[grid] = self._reduction(image)
        reduction, columns = grids[grid]
        wanted = target_dtype(image.source_dtype, self.dtype)
        if wanted is None and self.dtype is not None:
            wanted = image.source_dtype
        if self.dtype is None:
            wanted = self._nilearn_dtype(image, reduction)
        return RegionJob(
            image=image,
            reduction=reduction,
            columns=columns,
            smoothing_fwhm=self.smoothing_fwhm,
            chunk_bytes=self._chunk_bytes,
            imports=self._cleaning_imports(with_hv, confounds, sample_mask),
            t_r=self.t_r,
            cleaning=self._cleaning(with_hv),
            confounds=confounds,
            sample_mask=sample_mask,
            dtype=wanted,
            squeeze=image.ndim == 3
            and getattr(self, "_sklearn_output_config", None) is None,
        )

    def _cleaning_imports(
        self, with_hv: bool, confounds: Any, sample_mask: Any
    ) -> tuple[str, ...]:
        """Return the modules cleaning will import: none when numpy's cleaning applies.

        A masker's worker process (``Multi*`` maskers, ``n_jobs``) then never
        loads ``nilearn.signal`` and the scikit-learn it pulls in.
        """
        options = self._cleaning(with_hv)
        if native_applies(
            t_r=self.t_r,
            detrend=options.detrend,
            standardize=options.standardize,
            standardize_confounds=options.standardize_confounds,
            high_pass=options.high_pass,
            low_pass=options.low_pass,
            confounds=confounds if not options.high_variance_confounds else True,
            sample_mask=sample_mask,
            clean_kwargs=options.clean_kwargs,
        ):
            return ()
        return ("nilearn.signal",)

    def _check_signals(self, signals: Any, n_elements: int) -> np.ndarray:
        """Check signals given to ``inverse_transform``, as nilearn's ``_check_array``."""
        from sklearn.utils.validation import check_array

        if hasattr(signals, "to_numpy"):
            signals = signals.to_numpy().squeeze()
        signals = check_array(np.atleast_1d(signals), ensure_2d=False)
        expected = (
            (n_elements,) if signals.ndim == 1 else (signals.shape[0], n_elements)
        )
        if signals.ndim > 2 or signals.shape != expected:
            raise ValueError(
                "Input to 'inverse_transform' has wrong shape.\n"
                f"Expected {expected}.\nGot {signals.shape}."
            )
        if signals.dtype == bool:
            cast = self.dtype if self.dtype is not None else np.int32
            warnings.warn(f"Casting boolean input to {cast}", UserWarning, stacklevel=3)
            signals = signals.astype(cast)
        return signals
