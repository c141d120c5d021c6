"""What the surface drop-ins share: nilearn's ``SurfaceImage`` in, cleaned signals out.

nilearn's surface maskers (``SurfaceMasker``, ``SurfaceLabelsMasker``,
``SurfaceMapsMasker`` and their ``Multi`` variants) take a
``nilearn.surface.SurfaceImage``: a ``PolyMesh`` and a ``PolyData`` whose
parts (``left``, ``right``) hold ``(n_vertices,)`` or
``(n_vertices, n_samples)`` arrays. :class:`SurfaceMaskerBase` checks the
images as nilearn does (same error classes and conditions), hands the
vertices to a subclass's ``_extract`` (a gather, region means through the
engine's reducers, or the maps' least squares), cleans the result with the
project's cleaning (:func:`~niimasker_core.signal.clean.clean`, through
:func:`~niimasker_core.maskers.image_signals.clean_regions` or, for every vertex,
the many-column operator of
:func:`~niimasker_core.maskers.image_signals.clean_image_signals`) and shapes it as
nilearn does (``dtype``, 1D for a 1D image, ``set_output`` frames).

nilearn is imported inside functions only: the rest of the core runs
without it.
"""

from __future__ import annotations

import warnings
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..params.vocabulary import target_dtype
from .base import VolumeMasker
from .image_signals import clean_image_signals, clean_regions

__all__ = [
    "SurfaceMaskerBase",
    "SurfaceRun",
    "check_sample_dims",
    "check_surface_imgs",
    "is_surface_image",
    "load_surface_mask",
    "stacked_vertices",
]


def is_surface_image(imgs: Any) -> bool:
    """Return True for a ``nilearn.surface.SurfaceImage`` (without importing nilearn)."""
    return type(imgs).__name__ == "SurfaceImage" and hasattr(imgs, "mesh")


def check_surface_imgs(imgs: Any) -> None:
    """Refuse what is not a ``SurfaceImage`` or an iterable of them (nilearn's TypeError).

    Parameters
    ----------
    imgs : Any
        What was given as ``imgs``.

    Raises
    ------
    TypeError
        As nilearn's ``_BaseSurfaceMasker._check_imgs``.
    """
    from nilearn.surface import SurfaceImage

    if not (
        isinstance(imgs, SurfaceImage)
        or (
            hasattr(imgs, "__iter__") and all(isinstance(x, SurfaceImage) for x in imgs)
        )
    ):
        raise TypeError(
            "'imgs' should be a SurfaceImage or an iterable of SurfaceImage."
            f"Got: {imgs.__class__.__name__}"
        )


def _check_not_empty(img) -> None:
    """Refuse an image without data (nilearn's ``check_surf_img``, without its copy)."""
    if sum(np.asarray(part).size for part in img.data.parts.values()) == 0:
        raise ValueError("The image is empty.")


def check_sample_dims(imgs: Any, single: str) -> None:
    """Refuse data of more than 2 dimensions, and lists of 2D images, as nilearn.

    Parameters
    ----------
    imgs : SurfaceImage or iterable of SurfaceImage
        The images.
    single : str
        nilearn's message for a single image of more than 2 dimensions.

    Raises
    ------
    ValueError
        As nilearn's maskers.
    """
    from nilearn.surface import SurfaceImage

    if isinstance(imgs, SurfaceImage):
        if any(np.ndim(hemi) > 2 for hemi in imgs.data.parts.values()):
            raise ValueError(single)
    elif hasattr(imgs, "__iter__"):
        for i, x in enumerate(imgs):
            x.data._check_n_samples(1, f"imgs[{i}]")


def stacked_vertices(img, dtype=None) -> np.ndarray:
    """Return the ``(n_vertices, n_samples)`` data of all parts, in nilearn's order.

    Parameters
    ----------
    img : SurfaceImage
        The image (left to right, in the order of its parts).
    dtype : dtype or None
        Cast to it while stacking (None: the data's own).

    Returns
    -------
    numpy.ndarray
        The parts stacked along vertices (a new array).
    """
    parts = [np.asarray(p) for p in img.data.parts.values()]
    parts = [p.reshape(p.shape[0], -1) for p in parts]
    return np.concatenate(parts, axis=0, dtype=dtype)


def load_surface_mask(masker, imgs: Any):
    """Return ``mask_img`` binarised as nilearn's surface maskers do, or None.

    A vertex is in the mask when it is finite and non-zero in every sample;
    the mask is checked against the images' meshes.

    Parameters
    ----------
    masker : SurfaceMaskerBase
        The masker (its ``mask_img`` and ``verbose``).
    imgs : SurfaceImage, iterable of them, or None
        The images given to ``fit``.

    Returns
    -------
    SurfaceImage or None
        The 1D boolean mask.
    """
    if masker.mask_img is None:
        return None
    from nilearn._utils.masker_validation import check_compatibility_mask_and_images
    from nilearn._utils.niimg import ensure_finite_data
    from nilearn.image import new_img_like
    from nilearn.masking import load_mask_img
    from nilearn.surface.surface import at_least_2d, check_surf_img
    from nilearn.surface.utils import check_polymesh_equal

    masker._say("load_mask", masker.mask_img)
    mask_img = at_least_2d(deepcopy(masker.mask_img))
    mask = {}
    for part, values in mask_img.data.parts.items():
        ensure_finite_data(values)
        mask[part] = values.astype(bool).all(axis=1)
    mask_img = new_img_like(masker.mask_img, mask)
    load_mask_img(mask_img)
    if imgs is not None:
        check_compatibility_mask_and_images(mask_img, imgs)
        for x in imgs if hasattr(imgs, "__iter__") else [imgs]:
            check_surf_img(x)
            check_polymesh_equal(mask_img.mesh, x.mesh)
    return mask_img


def _same_mesh_objects(mesh, other) -> bool:
    """Return True when two meshes are the same objects or files (nothing to compare).

    nilearn compares the meshes' coordinates and faces, reading a mesh held
    in files again each time (0.14 s for fsaverage5); the same objects, or
    meshes read from the same files, are equal without reading them.
    """
    if mesh is other:
        return True
    parts, others = getattr(mesh, "parts", {}), getattr(other, "parts", {})
    return parts.keys() == others.keys() and all(
        _same_part(parts[k], others[k]) for k in parts
    )


def _same_part(part, other) -> bool:
    if part is other:
        return True
    path = getattr(part, "file_path", None)
    return path is not None and path == getattr(other, "file_path", None)


@dataclass
class SurfaceRun:
    """What the cleaning needs to know of a surface image: itself and its samples.

    Attributes
    ----------
    original : SurfaceImage
        The image (its high-variance confounds are nilearn's).
    n_volumes : int
        Its samples.
    """

    original: Any
    n_volumes: int


class SurfaceMaskerBase(VolumeMasker):
    """Base of the surface drop-ins: checks, cleaning, dtypes, inverse, reports.

    Subclasses implement ``fit``, ``_mesh_reference()`` (the fitted image
    whose mesh the data must match) and ``_extract(img)`` (the raw
    ``(n_samples, n_elements_)`` signals of a 2D ``SurfaceImage``).
    """

    #: Clean as many columns (every vertex) rather than a few regions.
    _many_columns = False
    #: nilearn's message for a single image of more than 2 dimensions.
    _ndim_message = "should only be SurfaceImage should 1D or 2D."

    def __sklearn_tags__(self):
        """Return scikit-learn tags: a masker taking surface images, as nilearn's."""
        tags = super().__sklearn_tags__()
        try:
            from nilearn._utils.tags import InputTags

            tags.input_tags = InputTags(surf_img=True, niimg_like=False)
        except ImportError:  # pragma: no cover - nilearn without its tags
            pass
        return tags

    def _check_fit_params(self) -> None:
        """Check the parameters' types and ``dtype`` as nilearn's ``fit`` does."""
        from nilearn._utils.param_validation import check_params

        check_params(self.__dict__)
        if self.dtype is bool:
            raise TypeError("'dtype' cannot be bool")

    def _say(self, step: str, img: Any = None) -> None:
        """Log a step in nilearn's words when ``verbose`` (nilearn's ``mask_logger``)."""
        if self.verbose:
            from nilearn.maskers.base_masker import mask_logger

            mask_logger(step, img=img, verbose=self.verbose)

    def _set_clean_args(self) -> None:
        self.clean_args_ = {} if self.clean_args is None else self.clean_args

    # ------------------------------------------------------------ transform
    def transform(self, imgs, confounds=None, sample_mask=None):
        """Return the signals of ``imgs`` (vertices or regions), cleaned.

        Parameters
        ----------
        imgs : SurfaceImage or list of SurfaceImage
            The data (a list is concatenated along samples, as nilearn).
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals (after high-variance confounds).
        sample_mask : array-like or None
            Samples to keep.

        Returns
        -------
        numpy.ndarray
            ``(n_samples, n_elements_)`` signals, 1D for a 1D image.

        Raises
        ------
        TypeError, ValueError
            As nilearn's surface maskers.
        """
        from nilearn.image import concat_imgs
        from nilearn.surface import SurfaceImage

        check_is_fitted(self)
        check_surface_imgs(imgs)
        return_1d = isinstance(imgs, SurfaceImage) and len(imgs.shape) < 2
        img = imgs if isinstance(imgs, SurfaceImage) else concat_imgs(list(imgs))
        _check_not_empty(img)
        self._check_compatible(img)
        self._warn_standardize()
        signals = self._transform(img, confounds, sample_mask, with_hv=True)
        wrap = getattr(self, "_sklearn_output_config", None) or {}
        if return_1d and wrap.get("transform", "default") == "default":
            signals = signals.squeeze()
        return signals

    def _check_compatible(self, img) -> None:
        from nilearn._utils.masker_validation import (
            check_compatibility_mask_and_images,
        )

        check_compatibility_mask_and_images(self.mask_img_, img)

    def _warn_standardize(self) -> None:
        if self.standardize in (True, False):
            # nilearn 0.14 warns so for boolean 'standardize'
            warnings.warn(
                "boolean values for 'standardize' will be deprecated in nilearn "
                "0.15.0.\nUse 'zscore_sample' instead of 'True' or use 'None' "
                "instead of 'False'.",
                FutureWarning,
                stacklevel=3,
            )
        if self.standardize is True:
            warnings.warn(
                "'standardize=True' divides by the population standard deviation "
                "(niimasker's meaning, nilearn's before 0.14); use "
                "'zscore_sample' for nilearn 0.14's meaning.",
                UserWarning,
                stacklevel=3,
            )

    def transform_single_imgs(self, imgs, confounds=None, sample_mask=None):
        """Return the signals of one image (high-variance confounds not added).

        Parameters
        ----------
        imgs : SurfaceImage
            The data.
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals.
        sample_mask : array-like or None
            Samples to keep.

        Returns
        -------
        numpy.ndarray
            ``(n_samples, n_elements_)`` signals.
        """
        check_is_fitted(self)
        return self._transform(imgs, confounds, sample_mask, with_hv=False)

    def fit_transform(self, imgs, y=None, confounds=None, sample_mask=None):
        """Fit to ``imgs``, then return their signals.

        Parameters
        ----------
        imgs : SurfaceImage or list of SurfaceImage
            The data.
        y : None
            Unused (scikit-learn compatibility).
        confounds : array-like, DataFrame, path, list of them, or None
            Regressed out of the signals.
        sample_mask : array-like or None
            Samples to keep.

        Returns
        -------
        numpy.ndarray
            ``(n_samples, n_elements_)`` signals.
        """
        del y
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*Generation of a mask.*")
            return self.fit(imgs).transform(imgs, confounds, sample_mask)

    def _transform(self, img, confounds, sample_mask, with_hv: bool) -> np.ndarray:
        """Check ``img`` against the fitted mesh, extract, clean and cast."""
        from nilearn._utils.masker_validation import (
            check_compatibility_mask_and_images,
        )
        from nilearn.surface.utils import check_polymesh_equal

        reference = self._mesh_reference()
        check_compatibility_mask_and_images(reference, img)
        if not _same_mesh_objects(reference.mesh, img.mesh):
            check_polymesh_equal(reference.mesh, img.mesh)
        check_sample_dims(img, self._ndim_message)
        if self.smoothing_fwhm is not None:
            from nilearn.image import smooth_img

            img = self._cache(smooth_img, level=2)(img, self.smoothing_fwhm)
        source = img.data._dtype
        self._keep_for_report(img)
        self._say("extracting")
        signals = self._extract(img)
        self._say("cleaning")
        run = SurfaceRun(img, signals.shape[0])
        cleaner = clean_image_signals if self._many_columns else clean_regions
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module="nilearn")
            signals = cleaner(
                np.ascontiguousarray(signals),
                run,
                self.t_r,
                self._cleaning(with_hv),
                confounds,
                sample_mask,
            )
        wanted = target_dtype(source, self.dtype)
        if wanted is None and self.dtype is not None:
            wanted = source
        return signals if wanted is None else signals.astype(wanted)

    def _mesh_reference(self):
        raise NotImplementedError

    def _build_reducer(self):
        raise NotImplementedError

    def _get_reducer(self):
        """Return the fitted reduction, rebuilt after unpickling (it holds closures)."""
        reducer = self.__dict__.get("_reducer")
        if reducer is None:
            reducer = self._reducer = self._build_reducer()
        return reducer

    def __getstate__(self):
        """Return the state to pickle, without the reduction (rebuilt on unpickling)."""
        state = super().__getstate__()
        state.pop("_reducer", None)
        return state

    def __setstate__(self, state):
        """Restore a pickled masker, rebuilding its reduction when it was fitted."""
        super().__setstate__(state)
        if self.__sklearn_is_fitted__() and type(self)._build_reducer is not (
            SurfaceMaskerBase._build_reducer
        ):
            self._reducer = self._build_reducer()

    def _extract(self, img) -> np.ndarray:
        raise NotImplementedError

    # --------------------------------------------------------- inverse
    def _check_array(self, signals, sklearn_check: bool = True) -> np.ndarray:
        """Check signals given to ``inverse_transform``, as nilearn's surface maskers."""
        from sklearn.utils.validation import check_array

        if hasattr(signals, "to_numpy"):
            signals = signals.to_numpy()
        signals = np.atleast_2d(signals)
        if sklearn_check:
            signals = check_array(signals, ensure_2d=False)
        if signals.shape[-1] != self.n_elements_:
            raise ValueError(
                "Input to 'inverse_transform' has wrong shape.\n"
                f"Last dimension should be {self.n_elements_}.\n"
                f"Got {signals.shape[-1]}."
            )
        if signals.dtype == bool:
            wanted = self.dtype if self.dtype is not None else np.int32
            warnings.warn(f"Casting boolean input to {wanted}", stacklevel=3)
            signals = signals.astype(wanted)
        return signals

    def _finish_inverse(self, signals: np.ndarray, data: dict, mesh, return_1d: bool):
        """Return the ``SurfaceImage`` of ``data`` in nilearn's dtype and shape."""
        from nilearn.surface import SurfaceImage

        self._say("inverse_transform")
        wanted = target_dtype(signals.dtype, self.dtype) or signals.dtype
        data = {k: v.astype(wanted, copy=False) for k, v in data.items()}
        if return_1d:
            data = {k: v.squeeze() for k, v in data.items()}
        return SurfaceImage(mesh=mesh, data=data)

    @property
    def _n_features_out(self) -> int:
        return self.n_elements_

    # --------------------------------------------------------- reports
    # As the volume drop-ins (VolumeMasker._report_twin): the reports and
    # nilearn's private report state are those of nilearn's masker of the
    # same name and parameters, fitted on the images of our last ``fit``.
    #: Keep the last transformed image for the report (nilearn's maps maskers).
    _report_keeps_transformed = False

    def _report_twin_unfitted(self):
        """Nilearn's surface masker of the same name and parameters (for reports)."""
        import nilearn.maskers

        params = self.get_params()
        params.update(standardize=None)  # reports do not clean; nilearn warns for bools
        return getattr(nilearn.maskers, type(self).__name__)(**params)

    def _reset_report(self, imgs: Any) -> None:
        """Forget the last report; keep the images (a twin without them may not fit)."""
        self._fit_imgs = imgs
        self._report_cache = {}

    def _report_twin(self):
        twin = super()._report_twin()
        last = self._report_cache.get("last_img")
        if last is not None and getattr(twin, "_reporting_data", None) is not None:
            twin._reporting_data["images"] = last
        return twin

    def _keep_for_report(self, img) -> None:
        """Remember the image just transformed, as nilearn's maps maskers do.

        Kept in the report cache (a dict changed in place, as nilearn changes
        its ``_reporting_data``), as a 2D view: ``img`` itself is not reshaped.
        """
        if self._report_keeps_transformed:
            from nilearn.surface import SurfaceImage

            parts = {
                k: np.asarray(v).reshape(np.shape(v)[0], -1)
                for k, v in img.data.parts.items()
            }
            cache = self.__dict__.setdefault("_report_cache", {})
            cache["last_img"] = SurfaceImage(mesh=img.mesh, data=parts)

    @property
    def _reporting_data(self):
        return self._report_twin()._reporting_data

    def generate_report(self, engine="matplotlib", title=None, **kwargs):
        """Return nilearn's HTML report of this masker (its twin fitted alike).

        Parameters
        ----------
        engine : {"matplotlib", "plotly"}
            nilearn's report engine.
        title : str or None
            The report's title.
        **kwargs
            nilearn's report options (``displayed_maps``).

        Returns
        -------
        nilearn.reporting.HTMLReport
            The report, built by nilearn's masker of the same parameters.
        """
        return self._report_twin().generate_report(engine=engine, title=title, **kwargs)
