"""Region signals of one image: the region maskers' ``transform``, on the streaming engine.

The labels, spheres and maps maskers differ only in the
:class:`~niimasker_core.rois.base.Reduction` they build for an image's grid.
Everything else is here and in :class:`RegionMasker`: the image (a file is
streamed from disk, never held in memory; an in-memory image is streamed
from its array) goes once through :func:`niimasker_core.engine.extract`, and
the signals are cleaned by :func:`clean_regions` (the command's cleaning,
with nilearn's confounds, ``sample_mask`` and high-variance confounds), then
shaped as nilearn shapes them (``dtype``, as nilearn's when none is given:
:mod:`~niimasker_core.maskers.nilearn_dtypes`; 1D for a 3D image).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..confounds.stacking import stack_confounds
from ..domains.base import CHUNK_BYTES
from ..domains.volume.nifti import ImageInfo, array_image_info, read_image_info
from ..engine import Reduction, extract
from ..errors import InputFileError
from ..params.options import CleaningOptions
from ..params.vocabulary import target_dtype
from ..signal.clean import clean
from ..signal.cleaning import native_applies
from ..signal.operator import run_sample_masks
from . import nilearn_dtypes
from .base import (
    ImageInput,
    VolumeMasker,
    clean_image_signals,
    coerce_image,
    warn_non_finite,
)

__all__ = ["RegionMasker", "clean_regions", "extract_regions", "image_stream"]


def image_stream(image: ImageInput, finite: bool = False) -> ImageInfo:
    """Return what the engine streams for ``image``: its file, or its array.

    Parameters
    ----------
    image : ImageInput
        The image.
    finite : bool
        Read the data in memory with non-finite values set to 0, as nilearn's
        ``safe_get_data(ensure_finite=True)`` does.

    Returns
    -------
    ImageInfo
        A file to stream, or an in-memory array.
    """
    if image.path is not None and not finite:
        return read_image_info(image.path, need_4d=False)
    from nilearn.image import load_img

    img = image.img if image.img is not None else load_img(image.path)
    data = np.asanyarray(img.dataobj)
    if finite and data.dtype.kind == "f":
        data = np.where(np.isfinite(data), data, 0).astype(data.dtype)
    return array_image_info(data, img.affine, "<in-memory image>")


def extract_regions(
    image: ImageInput,
    reduction: Reduction,
    smoothing_fwhm: float | None,
    chunk_bytes: int = CHUNK_BYTES,
    import_meanwhile: tuple[str, ...] = ("nilearn.signal",),
) -> np.ndarray:
    """Return the raw ``(n_volumes, n_columns)`` region signals of ``image``.

    Non-finite values inside the regions are read as 0, as nilearn does (the
    image is then read again, in memory).

    Parameters
    ----------
    image : ImageInput
        The image.
    reduction : Reduction
        The regions on the image grid (or on ``reduction.domain``).
    smoothing_fwhm : float or None
        Smoothing in mm before the reduction.
    chunk_bytes : int
        Raw bytes streamed per chunk (more volumes per chunk amortise a
        reduction's per-call cost, e.g. the sparse product of many maps).
    import_meanwhile : tuple of str
        Modules the cleaning will import, loaded while the image streams
        (none when the cleaning is numpy's alone).

    Returns
    -------
    numpy.ndarray
        float32 for float32 images, float64 otherwise (as nilearn).
    """
    try:
        extracted = extract(
            image_stream(image),
            [reduction],
            smoothing_fwhm=smoothing_fwhm,
            import_meanwhile=import_meanwhile,
            chunk_bytes=chunk_bytes,
        )
    except InputFileError as exc:
        if "NaN or infinite" not in str(exc):
            raise
        warn_non_finite()
        extracted = extract(
            image_stream(image, finite=True),
            [reduction],
            smoothing_fwhm=smoothing_fwhm,
            chunk_bytes=chunk_bytes,
        )
    return extracted.signals[0]


def clean_regions(
    signals: np.ndarray,
    image: ImageInput,
    t_r: float | None,
    options: CleaningOptions,
    confounds: Any = None,
    sample_mask: Any = None,
) -> np.ndarray:
    """Clean region signals with the command's cleaning, as nilearn's region maskers.

    A few hundred columns need no linear-operator shortcut, so the signals go
    through :func:`~niimasker_core.signal.clean.clean` column-wise, as the
    command's do, in nilearn's own arithmetic; a single volume (a 3D image)
    goes through :func:`~niimasker_core.maskers.base.clean_image_signals`,
    which handles it as nilearn does.

    Parameters
    ----------
    signals : numpy.ndarray
        ``(n_volumes, n_columns)`` raw signals.
    image : ImageInput
        Their image (for high-variance confounds).
    t_r : float or None
        The repetition time.
    options : CleaningOptions
        :meth:`VolumeMasker._cleaning`.
    confounds : array-like, DataFrame, path, list of them or None
        Regressors.
    sample_mask : array-like or None
        Volumes to keep.

    Returns
    -------
    numpy.ndarray
        Cleaned signals, in the dtype of ``signals`` (as nilearn returns them).
    """
    if signals.shape[0] < 2:
        return clean_image_signals(signals, image, t_r, options, confounds, sample_mask)
    regressors = stack_confounds(
        image.original, image.n_volumes, confounds, options.high_variance_confounds
    )
    masks = run_sample_masks(sample_mask, 1)
    cleaned = clean(
        signals,
        options,
        t_r=t_r,
        confounds=regressors,
        sample_mask=None if masks is None else masks[0],
        underdetermined="nilearn",
    )
    return cleaned.astype(signals.dtype, copy=False)


class RegionMasker(VolumeMasker):
    """Base of the region maskers: ``transform`` = reduction + engine + cleaning.

    Subclasses implement ``fit`` and ``_reduction(image)``, which returns the
    :class:`~niimasker_core.rois.base.Reduction` for an image plus a
    ``finish(signals)`` callable applied to the raw signals (column
    selection, zero columns) before cleaning.
    """

    #: Raw bytes streamed per chunk of volumes (see :func:`extract_regions`).
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
        self._warn_population_standardize()
        self._log("load_data", imgs)
        image = coerce_image(imgs)
        reduction, finish = self._reduction(image)
        self._log("extracting")
        signals = extract_regions(
            image,
            reduction,
            self.smoothing_fwhm,
            self._chunk_bytes,
            self._cleaning_imports(with_hv, confounds, sample_mask),
        )
        signals = finish(signals)
        self._log("cleaning")
        signals = clean_regions(
            np.ascontiguousarray(signals),
            image,
            self.t_r,
            self._cleaning(with_hv),
            confounds,
            sample_mask,
        )
        wanted = target_dtype(image.source_dtype, self.dtype)
        if wanted is None and self.dtype is not None:
            wanted = image.source_dtype
        if self.dtype is None:
            wanted = self._nilearn_dtype(image, reduction)
        if wanted is not None:
            signals = signals.astype(wanted, copy=False)
        if image.ndim == 3 and getattr(self, "_sklearn_output_config", None) is None:
            signals = signals.squeeze()
        return signals

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
