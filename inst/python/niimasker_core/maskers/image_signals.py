"""One image's region signals without scikit-learn: its input, its stream, its cleaning.

What a region masker's ``transform`` does to one image once the regions are
known, and all a ``Multi*`` masker's worker process runs
(:mod:`~niimasker_core.maskers.region_job`): nothing here imports
scikit-learn or nilearn's ``signal`` module, so a worker starts in the time
the command's do. The image (a file is streamed from disk, never held in
memory; an in-memory image is streamed from its array) goes once through
:func:`niimasker_core.engine.extract`, and the signals are cleaned by
:func:`clean_regions` (the command's cleaning, with nilearn's confounds,
``sample_mask`` and high-variance confounds).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ..confounds.stacking import stack_confounds
from ..domains.base import CHUNK_BYTES
from ..domains.volume.nifti import ImageInfo, array_image_info, read_image_info
from ..engine import Reduction, extract
from ..errors import InputFileError
from ..params.options import CleaningOptions
from ..signal.clean import clean
from ..signal.operator import run_sample_masks

__all__ = [
    "ImageInput",
    "clean_image_signals",
    "clean_regions",
    "coerce_image",
    "extract_regions",
    "image_stream",
    "in_memory_non_finite",
    "warn_non_finite",
]


@dataclass
class ImageInput:
    """One image to transform: a file to stream, or an image already in memory.

    Attributes
    ----------
    path : str or None
        A NIfTI file streamed by the engine (None for in-memory images).
    img : nibabel.Nifti1Image or None
        The 4D image when it is not streamed from a file.
    ndim : int
        3 or 4: the dimensionality the user gave (3D gives one volume).
    shape : tuple of int
        Spatial shape.
    affine : numpy.ndarray
        The image's affine.
    n_volumes : int
        Number of volumes.
    source_dtype : numpy.dtype
        The data's dtype as nilearn sees it (float64 when scaled).
    """

    path: str | None
    img: nib.Nifti1Image | None
    ndim: int
    shape: tuple[int, int, int]
    affine: np.ndarray
    n_volumes: int
    source_dtype: np.dtype

    @property
    def original(self) -> Any:
        """Return what nilearn functions should receive for this image."""
        return self.path if self.path is not None else self.img


def _streamable_path(imgs: Any) -> str | None:
    """Return the file of ``imgs`` when its data can be streamed from disk."""
    if isinstance(imgs, Path):
        imgs = str(imgs)
    if isinstance(imgs, str):
        if any(c in imgs for c in "*?[") or not imgs.endswith((".nii", ".nii.gz")):
            return None
        return imgs
    if isinstance(imgs, nib.Nifti1Image) and nib.is_proxy(imgs.dataobj):
        path = imgs.get_filename()
        if path and Path(path).is_file() and str(path).endswith((".nii", ".nii.gz")):
            on_disk = nib.load(path)
            if on_disk.shape == imgs.shape and np.allclose(on_disk.affine, imgs.affine):
                return str(path)
    return None


def coerce_image(imgs: Any) -> ImageInput:
    """Turn a path, a nibabel image or a list of 3D images into an :class:`ImageInput`.

    Parameters
    ----------
    imgs : str, pathlib.Path, nibabel image or list of them
        A 3D or 4D image; a list of 3D images is concatenated along time, as
        nilearn does.

    Returns
    -------
    ImageInput
        The image, to be streamed from its file when it has one.

    Raises
    ------
    ImageNotFoundError
        If a path does not exist.
    InputFileError
        If the file is not a 3D/4D NIfTI image.
    """
    path = _streamable_path(imgs)
    if path is not None:
        info = read_image_info(path, need_4d=False)
        ndim = len(nib.load(path).shape)
        source = (
            np.dtype(np.float64) if info.scaled else info.raw_dtype.newbyteorder("=")
        )
        return ImageInput(
            path=path,
            img=None,
            ndim=min(ndim, 4),
            shape=info.shape,
            affine=info.affine,
            n_volumes=info.n_volumes,
            source_dtype=np.dtype(source),
        )
    from nilearn._utils.niimg import img_data_dtype
    from nilearn.image import check_niimg

    first = check_niimg(imgs)
    img = check_niimg(imgs, atleast_4d=True, ensure_ndim=4)
    return ImageInput(
        path=None,
        img=img,
        ndim=len(first.shape),
        shape=tuple(int(n) for n in img.shape[:3]),
        affine=img.affine,
        n_volumes=int(img.shape[3]),
        source_dtype=np.dtype(img_data_dtype(img)),
    )


def warn_non_finite(stacklevel: int = 5) -> None:
    """Warn as nilearn's ``ensure_finite`` does when image values become 0.

    ``stacklevel`` counts from this function to the user's call of
    ``transform`` (the default: two calls in between).
    """
    warnings.warn(
        "Non-finite values detected. These values will be replaced with zeros.",
        UserWarning,
        stacklevel=stacklevel,
    )


def in_memory_non_finite(image: ImageInput) -> bool:
    """Return True when an in-memory image holds NaN or infinities (one fast pass)."""
    if image.img is None:
        return False
    data = np.asanyarray(image.img.dataobj)
    if data.dtype.kind != "f" or np.isfinite(data.sum()):
        return False
    return not bool(np.isfinite(data).all())


def clean_image_signals(
    signals: np.ndarray,
    image: ImageInput,
    t_r: float | None,
    options: CleaningOptions,
    confounds: Any = None,
    sample_mask: Any = None,
    first_volume: int = 0,
) -> np.ndarray:
    """Clean the signals of one image as nilearn's ``NiftiMasker`` does (many columns).

    Parameters
    ----------
    signals : numpy.ndarray
        ``(n_volumes, n_columns)`` raw signals; overwritten.
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
    first_volume : int
        Leading volumes of the image discarded before ``signals``.

    Returns
    -------
    numpy.ndarray
        The cleaned signals.
    """
    regressors = stack_confounds(
        image.original,
        image.n_volumes,
        confounds,
        options.high_variance_confounds,
        first_volume,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="nilearn")
        return clean(
            signals,
            options,
            t_r=t_r,
            confounds=regressors,
            sample_mask=sample_mask,
            many_columns=True,
            in_place=True,
            underdetermined="nilearn",
        )


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
    return _in_memory(_loaded(image), finite)


def _loaded(image: ImageInput) -> Any:
    """Return ``image`` as a nibabel image (loaded from its file when it has one)."""
    from nilearn.image import load_img

    return image.img if image.img is not None else load_img(image.path)


def _in_memory(img: Any, finite: bool) -> ImageInfo:
    """Return ``img``'s array to stream, non-finite values set to 0 when ``finite``."""
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
        warn_non_finite(stacklevel=7)  # via run_region_job, _transform, transform and
        # scikit-learn's set_output wrapper of it, to the caller
        if reduction.domain is not None:
            stream, reduction = _resampled_as_nilearn(image, reduction)
        else:
            stream = image_stream(image, finite=True)
        extracted = extract(
            stream, [reduction], smoothing_fwhm=smoothing_fwhm, chunk_bytes=chunk_bytes
        )
    return extracted.signals[0]


def _resampled_as_nilearn(
    image: ImageInput, reduction: Reduction
) -> tuple[ImageInfo, Reduction]:
    """Return ``image`` resampled onto the regions' grid by nilearn, and the regions on it.

    nilearn's ``resample_img`` fills each non-finite voxel from its finite
    neighbours (``extrapolate_out_mask``) before the spline, then sets NaN
    where the nearest source voxel was not finite; the masker reads those as
    0 (before smoothing, which comes after resampling). Streaming the image
    with its non-finite values set to 0 instead differed by ~0.2% in the
    volumes holding them, so an image with non-finite values is resampled by
    nilearn itself, in memory, as slowly as nilearn does.
    """
    from nilearn.image import resample_img

    grid = reduction.domain
    with warnings.catch_warnings():
        # nilearn's "NaNs or infinite values" (warned above) and its future defaults
        warnings.simplefilter("ignore", (RuntimeWarning, FutureWarning))
        resampled = resample_img(
            _loaded(image),
            interpolation="continuous",
            target_shape=tuple(grid.shape),
            target_affine=grid.affine,
        )
    return _in_memory(resampled, finite=True), replace(reduction, domain=None)


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
    goes through :func:`~niimasker_core.maskers.image_signals.clean_image_signals`,
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
