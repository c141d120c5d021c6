"""The ``Multi`` region maskers: one fitted masker, a list of images, ``n_jobs``."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import nibabel as nib
from sklearn.utils.validation import check_is_fitted

from ..params.vocabulary import MASK_STRATEGIES
from .labels_masker import NiftiLabelsMasker
from .maps_masker import NiftiMapsMasker
from .nifti_masker import NiftiMasker
from .region_job import run_region_job
from .surface_base import is_surface_image

__all__ = [
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "MultiTransform",
]


def _is_one_image(imgs: Any) -> bool:
    return isinstance(
        imgs, (str, Path, nib.spatialimages.SpatialImage)
    ) or is_surface_image(imgs)


def _per_image(values: Any, n_images: int, name: str) -> list:
    if values is None:
        return [None] * n_images
    if not isinstance(values, list):
        raise TypeError(
            f"'{name}' must be a None or a list. Got {type(values).__name__}."
        )
    if len(values) != n_images:
        raise ValueError(
            f"number of {name} ({len(values)}) unequal to number of images "
            f"({n_images})."
        )
    return values


def _sections(doc: str) -> tuple[str, dict[str, str], str]:
    """Split a numpydoc class docstring: summary, parameter blocks, the rest.

    A docstring with no ``Parameters`` section is all summary.
    """
    lines = inspect.cleandoc(doc).splitlines()
    if "Parameters" not in lines:
        return "\n".join([*lines, ""]), {}, ""
    start = lines.index("Parameters")
    end = lines.index("Attributes")
    params: dict[str, str] = {}
    name = None
    for line in lines[start + 2 : end]:
        if line and not line.startswith(" "):
            name = line.split(" :")[0]
            params[name] = line
        elif name is not None and line:
            params[name] += "\n" + line
    return "\n".join(lines[:start]), params, "\n".join(lines[end:])


def _with_parameters_of(base: type, n_jobs_doc: str):
    """Give a Multi class the docstring parameters and attributes of ``base``.

    nilearn's estimator checks want every parameter documented in the
    signature's order; the Multi classes add only ``n_jobs``.
    """

    def decorate(cls: type) -> type:
        summary, _, _ = _sections(cls.__doc__)
        _, params, rest = _sections(base.__doc__)
        params["n_jobs"] = "n_jobs : int, default=1\n    " + n_jobs_doc
        names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
        body = "\n".join(params[n] for n in names)
        doc = f"{summary}\nParameters\n----------\n{body}\n\n{rest}\n"
        cls.__doc__ = "\n".join(
            ("    " + line if line else line) for line in doc.splitlines()
        )
        return cls

    return decorate


class MultiTransform:
    """``transform`` of a list of images, each as the single-image masker, in parallel."""

    n_jobs: int

    def transform(self, imgs, confounds=None, sample_mask=None):
        """Return the region signals of each image.

        Parameters
        ----------
        imgs : image or list of images
            One image (then as the single-image masker), or a list.
        confounds : list or None
            One confounds specification per image.
        sample_mask : list or None
            One sample mask per image.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            One ``(n_volumes, n_elements_)`` array per image.
        """
        check_is_fitted(self)
        if _is_one_image(imgs):
            if isinstance(confounds, list):
                confounds = confounds[0]
            if isinstance(sample_mask, list):
                sample_mask = sample_mask[0]
            return super().transform(imgs, confounds=confounds, sample_mask=sample_mask)
        return self.transform_imgs(
            imgs, confounds=confounds, sample_mask=sample_mask, n_jobs=self.n_jobs
        )

    def transform_imgs(self, imgs_list, confounds=None, n_jobs=1, sample_mask=None):
        """Return the region signals of each image of a list, ``n_jobs`` at a time.

        Parameters
        ----------
        imgs_list : list of images
            The images (paths or nibabel images).
        confounds : list or None
            One confounds specification per image.
        n_jobs : int
            Parallel processes (joblib), as the command's ``n_jobs``. A region
            masker puts each image's regions on its grid here, then sends
            plain :class:`~niimasker_core.maskers.region_job.RegionJob` s to
            the workers, which never import scikit-learn.
        sample_mask : list or None
            One sample mask per image.

        Returns
        -------
        list of numpy.ndarray
            One array per image, in order.
        """
        check_is_fitted(self)
        confounds = _per_image(confounds, len(imgs_list), "confounds")
        sample_mask = _per_image(sample_mask, len(imgs_list), "sample_mask")
        jobs = list(zip(imgs_list, confounds, sample_mask, strict=True))
        if n_jobs == 1 or len(jobs) <= 1:
            return [self._transform(i, c, s, with_hv=True) for i, c, s in jobs]
        from joblib import Parallel, delayed

        if hasattr(self, "_region_job"):  # region maskers: plain jobs, no masker
            grids: dict = {}  # the regions, once per grid
            # a generator: joblib builds each job as it dispatches it (a few ahead),
            # so an image given as 3D files is not concatenated long before its turn
            return Parallel(n_jobs=n_jobs)(
                delayed(run_region_job)(self._region_job(i, c, s, True, grids))
                for i, c, s in jobs
            )
        return Parallel(n_jobs=n_jobs)(
            delayed(self._transform)(i, c, s, True) for i, c, s in jobs
        )

    def fit_transform(
        self, imgs, y=None, confounds=None, sample_mask=None, **fit_params
    ):
        """Fit to ``imgs``, then return the region signals of each image.

        Parameters
        ----------
        imgs : image or list of images
            The images.
        y : None
            Unused.
        confounds : list or None
            One confounds specification per image.
        sample_mask : list or None
            One sample mask per image.
        **fit_params : dict
            Passed to :meth:`fit`, as nilearn does.

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            One array per image.
        """
        with warnings.catch_warnings():
            # a mask given at creation is used, as nilearn's _MultiMixin says
            warnings.filterwarnings("ignore", message=r".*Generation of a mask.*")
            self.fit(imgs, y, **fit_params)
        return self.transform(imgs, confounds=confounds, sample_mask=sample_mask)


@_with_parameters_of(NiftiLabelsMasker, "Images processed in parallel.")
class MultiNiftiLabelsMasker(MultiTransform, NiftiLabelsMasker):
    """:class:`NiftiLabelsMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiNiftiLabelsMasker`` (nilearn 0.14);
    each image is extracted exactly as :class:`NiftiLabelsMasker` does (see
    there for the deliberate differences from nilearn), in ``n_jobs``
    processes.

    Parameters
    ----------
    (those of :class:`NiftiLabelsMasker`, and ``n_jobs``)

    Attributes
    ----------
    (those of :class:`NiftiLabelsMasker`)
    """

    _nilearn_class = "MultiNiftiLabelsMasker"

    def __init__(
        self,
        labels_img=None,
        labels=None,
        lut=None,
        background_label=0,
        mask_img=None,
        smoothing_fwhm=None,
        standardize=False,
        standardize_confounds=True,
        high_variance_confounds=False,
        detrend=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        dtype=None,
        resampling_target="data",
        memory=None,
        memory_level=1,
        verbose=0,
        strategy="mean",
        keep_masked_labels=False,
        reports=True,
        cmap="CMRmap_r",
        n_jobs=1,
        clean_args=None,
    ):
        super().__init__(
            labels_img=labels_img,
            labels=labels,
            lut=lut,
            background_label=background_label,
            mask_img=mask_img,
            smoothing_fwhm=smoothing_fwhm,
            standardize=standardize,
            standardize_confounds=standardize_confounds,
            high_variance_confounds=high_variance_confounds,
            detrend=detrend,
            low_pass=low_pass,
            high_pass=high_pass,
            t_r=t_r,
            dtype=dtype,
            resampling_target=resampling_target,
            memory=memory,
            memory_level=memory_level,
            verbose=verbose,
            strategy=strategy,
            keep_masked_labels=keep_masked_labels,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs


@_with_parameters_of(NiftiMapsMasker, "Images processed in parallel.")
class MultiNiftiMapsMasker(MultiTransform, NiftiMapsMasker):
    """:class:`NiftiMapsMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiNiftiMapsMasker`` (nilearn 0.14);
    each image is fitted exactly as :class:`NiftiMapsMasker` does (see there
    for the deliberate differences from nilearn), in ``n_jobs`` processes.

    Parameters
    ----------
    (those of :class:`NiftiMapsMasker`, and ``n_jobs``)

    Attributes
    ----------
    (those of :class:`NiftiMapsMasker`)
    """

    _nilearn_class = "MultiNiftiMapsMasker"

    def __init__(
        self,
        maps_img=None,
        mask_img=None,
        allow_overlap=True,
        smoothing_fwhm=None,
        standardize=False,
        standardize_confounds=True,
        high_variance_confounds=False,
        detrend=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        dtype=None,
        resampling_target="data",
        keep_masked_maps=False,
        memory=None,
        memory_level=0,
        verbose=0,
        reports=True,
        cmap="CMRmap_r",
        n_jobs=1,
        clean_args=None,
    ):
        super().__init__(
            maps_img=maps_img,
            mask_img=mask_img,
            allow_overlap=allow_overlap,
            smoothing_fwhm=smoothing_fwhm,
            standardize=standardize,
            standardize_confounds=standardize_confounds,
            high_variance_confounds=high_variance_confounds,
            detrend=detrend,
            low_pass=low_pass,
            high_pass=high_pass,
            t_r=t_r,
            dtype=dtype,
            resampling_target=resampling_target,
            keep_masked_maps=keep_masked_maps,
            memory=memory,
            memory_level=memory_level,
            verbose=verbose,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs


@_with_parameters_of(
    NiftiMasker, "Images processed in parallel (and jobs of the mask computation)."
)
class MultiNiftiMasker(MultiTransform, NiftiMasker):
    """:class:`NiftiMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiNiftiMasker`` (nilearn 0.14): the mask
    is computed from all the images with nilearn's ``compute_multi_*``
    functions (each image's mask, then their intersection), and each image
    is extracted exactly as :class:`NiftiMasker` does, in ``n_jobs`` processes.

    Parameters
    ----------
    (those of :class:`NiftiMasker`, and ``n_jobs``)

    Attributes
    ----------
    (those of :class:`NiftiMasker`)
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
        memory_level=0,
        n_jobs=1,
        verbose=0,
        reports=True,
        cmap="gray",
        clean_args=None,
    ):
        super().__init__(
            mask_img=mask_img,
            runs=runs,
            smoothing_fwhm=smoothing_fwhm,
            standardize=standardize,
            standardize_confounds=standardize_confounds,
            detrend=detrend,
            high_variance_confounds=high_variance_confounds,
            low_pass=low_pass,
            high_pass=high_pass,
            t_r=t_r,
            target_affine=target_affine,
            target_shape=target_shape,
            mask_strategy=mask_strategy,
            mask_args=mask_args,
            dtype=dtype,
            memory_level=memory_level,
            memory=memory,
            verbose=verbose,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs

    _allow_empty_mask = True

    def _check_mask_strategy(self) -> None:
        """Raise nilearn's ValueError for an unknown ``mask_strategy``.

        nilearn's MultiNiftiMasker also takes the deprecated ``"template"``
        (warned about when the mask is computed).
        """
        from nilearn.maskers.multi_nifti_masker import _get_mask_strategy

        if self.mask_strategy not in (*MASK_STRATEGIES, "template"):
            _get_mask_strategy(self.mask_strategy)

    def _compute_mask(self, imgs):
        """Compute the mask of all images with nilearn's ``compute_multi_*`` function."""
        from nilearn.maskers.multi_nifti_masker import _get_mask_strategy

        if _is_one_image(imgs):
            imgs = [imgs]
        function = _get_mask_strategy(self.mask_strategy)
        accepted = inspect.signature(function).parameters
        args = {
            name: getattr(self, name)
            for name in ("n_jobs", "target_shape", "target_affine")
            if name in accepted and getattr(self, name) is not None
        }
        skipped = []
        for name, value in (self.mask_args or {}).items():
            if name in accepted:
                args[name] = value
            else:
                skipped.append(name)
        if skipped:
            warnings.warn(
                "The following arguments are not supported by the masking strategy "
                f"'{self.mask_strategy}': {skipped}",
                UserWarning,
                stacklevel=3,
            )
        memory = self.memory_
        if getattr(memory, "location", None) is not None:
            function = memory.cache(function, ignore=["verbose"])
        return function(imgs, memory=memory, verbose=0, **args)
