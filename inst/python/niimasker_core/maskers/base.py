"""What the drop-in maskers share: cleaning parameters, inputs, output and caching.

A masker here is a plain scikit-learn estimator (``BaseEstimator`` +
``TransformerMixin``, so ``set_output``, ``clone``, ``get_params``/``set_params``
and metadata routing are scikit-learn's own) built by composition: ``fit``
resolves what to extract into a :class:`~niimasker_core.rois.base.Reduction`,
``transform`` streams each image once through
:func:`niimasker_core.engine.extract` and cleans all columns at once with
:func:`~niimasker_core.signal.clean.clean`.

Further ``nilearn.signal.clean`` arguments go in nilearn 0.14's ``clean_args``
dict (``butterworth__<arg>`` for its Butterworth filter).
"""

from __future__ import annotations

import glob
import inspect
import os
import warnings
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)

from ..domains.volume.grid import Grid
from ..domains.volume.memory import read_voxels_in_memory
from ..domains.volume.nifti import read_image_info
from ..engine import extract
from ..params.options import CleaningOptions
from ..params.vocabulary import standardize_method
from ..rois.voxels import voxel_gather
from .image_signals import ImageInput, in_memory_non_finite, warn_non_finite

__all__ = ["VolumeMasker", "extract_voxels"]


def extract_voxels(
    image: ImageInput,
    voxels_c_order: np.ndarray,
    grid: Grid,
    same_grid: bool,
    smoothing_fwhm: float | None,
    discard_scans: int = 0,
) -> np.ndarray:
    """Return the ``(n_volumes, n_voxels)`` signals of the given voxels of ``grid``.

    Files are streamed by the engine; images in memory are resampled,
    smoothed and gathered as nilearn does (non-finite values become 0, as
    nilearn's ``apply_mask``). Files holding non-finite values are read the
    same in-memory way (:func:`~niimasker_core.rois.voxels.voxel_gather`), so
    both give nilearn's numbers.

    Parameters
    ----------
    image : ImageInput
        The image.
    voxels_c_order : numpy.ndarray
        Flat indices (Fortran order, NIfTI's) on ``grid`` of the voxels, in
        the order of the output columns.
    grid : Grid
        The grid the voxels refer to (the image's own when ``same_grid``).
    same_grid : bool
        Whether ``grid`` is the image's grid (no resampling).
    smoothing_fwhm : float or None
        Smoothing applied to each volume on ``grid``.
    discard_scans : int
        Leading volumes skipped.

    Returns
    -------
    numpy.ndarray
        C-ordered signals, float32 for float32 and integer data, float64 for
        float64 data.
    """
    if image.path is None:
        if in_memory_non_finite(image):
            warn_non_finite()
        signals = read_voxels_in_memory(
            image.img, voxels_c_order, grid, same_grid, smoothing_fwhm
        )
        return signals[discard_scans:]
    extracted = extract(
        read_image_info(image.path, need_4d=False),
        [voxel_gather(voxels_c_order, grid, same_grid)],
        discard_scans=discard_scans,
        smoothing_fwhm=smoothing_fwhm,
        import_meanwhile=("nilearn.signal",),
    )
    if extracted.zeroed_non_finite:
        warn_non_finite()
    return extracted.signals[0]


class VolumeMasker(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base of the volume maskers: parameters, cleaning, inputs and caching.

    Subclasses define ``__init__`` with their explicit parameters, nilearn's
    signature (scikit-learn reads them from it).
    """

    _estimator_type = "masker"
    # scikit-learn's HTML repr links each class to its documentation: the
    # drop-ins share nilearn's API, so they link to nilearn's page.
    _doc_link_module = "niimasker_core"

    @property
    def _doc_link_template(self) -> str:
        from nilearn import __version__ as version

        return (
            f"https://nilearn.github.io/{version}/modules/generated/"
            "nilearn.maskers.{estimator_name}.html"
        )

    def _doc_link_url_param_generator(self, *args: Any) -> dict[str, str]:
        return {"estimator_name": type(self).__name__}

    def _clean_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``nilearn.signal.clean``: ``clean_args``."""
        return dict(getattr(self, "clean_args", None) or {})

    def __sklearn_tags__(self):
        """Return scikit-learn tags: a transformer taking images, nilearn-style."""
        tags = super().__sklearn_tags__()
        try:
            from nilearn._utils.tags import InputTags

            tags.input_tags = InputTags()
        except ImportError:  # pragma: no cover - nilearn without its tags
            pass
        tags.estimator_type = "masker"
        return tags

    def _more_tags(self):
        """Return the same tags as :meth:`__sklearn_tags__` (scikit-learn < 1.6)."""
        return self.__sklearn_tags__()

    # --------------------------------------------------------------- caching
    def _fit_cache(self) -> None:
        from joblib import Memory

        memory = self.memory
        if memory is None or isinstance(memory, (str, Path)):
            memory = Memory(location=None if memory is None else str(memory), verbose=0)
        self.memory_ = memory

    def _cache(self, func, level: int = 1, shelve: bool = False):
        """Return ``func`` cached with ``memory_`` when ``memory_level >= level``.

        With ``shelve``, the returned callable gives joblib's result object
        (its ``get()`` reads the value back), cached or not, as nilearn's
        ``_cache(..., shelve=True)``.
        """
        memory = getattr(self, "memory_", None)
        cached = (
            memory is not None
            and getattr(memory, "location", None) is not None
            and (self.memory_level or 0) >= level
        )
        if not cached and not shelve:
            return func
        if not cached:
            from joblib import Memory

            memory = Memory(location=None, verbose=0)
        memorized = memory.cache(
            func, ignore=["verbose"] if "verbose" in _args(func) else []
        )
        return memorized.call_and_shelve if shelve else memorized

    def _log(self, step: str, img: Any = None) -> None:
        """Print nilearn's masker message for ``step`` when ``verbose`` (its words).

        The steps and texts are those of nilearn's ``mask_logger``; images are
        shown as nilearn shows them (shortened at ``verbose=1``).
        """
        verbose = int(self.verbose or 0)
        if verbose < 1:
            return
        if step in ("load_data", "load_mask", "load_regions"):
            if img is None:
                return
            from nilearn._utils.niimg import repr_niimgs

            listed = isinstance(img, (list, tuple)) and img
            if isinstance(img, (str, Path)) or (
                listed and isinstance(img[0], (str, Path))
            ):
                shown = repr_niimgs(img, shorten=verbose < 2)
            elif verbose == 1:
                shown = repr(img)
            else:
                shown = repr_niimgs(img, shorten=verbose < 3)
        message = {
            "cleaning": "Cleaning extracted signals",
            "compute_mask": "Computing mask",
            "extracting": "Extracting region signals",
            "fit_done": "Finished fit",
            "inverse_transform": "Computing image from signals",
            "resample_mask": "Resampling mask",
            "resample_regions": "Resampling regions",
        }.get(step)
        if message is None:
            what = {"load_data": "data", "load_mask": "mask", "load_regions": "regions"}
            message = f"Loading {what[step]} from {shown}"
        caller = inspect.currentframe().f_back.f_code.co_name.lstrip("_")
        print(f"[{type(self).__name__}.{caller}] {message}")

    @staticmethod
    def _check_imgs(imgs: Any) -> None:
        """Refuse what is not a non-empty volume image, as nilearn's maskers do.

        ``TypeError`` for anything else (a ``SurfaceImage``), ``ValueError``
        "The image is empty." for an image with a zero-length axis; only
        headers are read. NIfTI files, one or a list or tuple of them (the
        ``Multi`` maskers'), are checked with nibabel alone, as nilearn checks
        each: a worker process, or the process of a ``Multi`` masker, never
        imports ``nilearn.image`` (and ``nilearn.signal`` with it, ~0.7 s)
        to check paths.
        """
        files = [imgs] if isinstance(imgs, (str, Path)) else imgs
        if (
            isinstance(files, (list, tuple))
            and files
            and all(_nifti_file(name) for name in files)
        ):
            for name in files:
                if 0 in nib.load(str(name)).shape:
                    raise ValueError("The image is empty.")
            return
        from nilearn.image.image import check_volume_for_fit

        check_volume_for_fit(imgs)

    # ----------------------------------------------------------------- reports
    # The reports are nilearn's: a nilearn masker with these parameters (the
    # "twin", made by ``_report_twin_unfitted``), fitted on the images of our
    # last ``fit`` the first time a report is asked for, and kept until the
    # next ``fit`` (so successive reports agree). nilearn's private report
    # state, which its estimator checks read, is the twin's.
    def _report_twin_unfitted(self):
        raise NotImplementedError

    def _report_twin(self):
        cache = self.__dict__.setdefault("_report_cache", {})
        if "twin" not in cache:
            twin = self._report_twin_unfitted()
            if self.__sklearn_is_fitted__():
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", category=FutureWarning)
                    # the twin gets our fitted mask and our images: not a request
                    warnings.filterwarnings("ignore", message=".*Generation of a mask")
                    twin.fit(getattr(self, "_fit_imgs", None))
            cache["twin"] = twin
        return cache["twin"]

    def _reset_report(self, imgs: Any) -> None:
        """Forget the last report's twin; remember the images it will be fitted on."""
        self._fit_imgs = imgs if self.reports else None
        self._report_cache = {}

    @property
    def _report_content(self) -> dict:
        return self._report_twin()._report_content

    @property
    def _report_warnings(self) -> list:
        return self._report_twin()._report_warnings

    def _has_report_data(self) -> bool:
        return self._report_twin()._has_report_data()

    def generate_report(self, engine="matplotlib", title=None, **kwargs):
        """Return nilearn's HTML report of this masker.

        Parameters
        ----------
        engine : {"matplotlib", "brainsprite"}
            nilearn's report engine.
        title : str or None
            The report's title.
        **kwargs
            nilearn's report options (``displayed_maps``, ``displayed_spheres``).

        Returns
        -------
        nilearn.reporting.HTMLReport
            The report, built by nilearn's masker of the same parameters.
        """
        return self._report_twin().generate_report(engine=engine, title=title, **kwargs)

    def _warn_boolean_standardize(self) -> None:
        """Warn as nilearn 0.14's ``transform`` does when ``standardize`` is a bool."""
        if self.standardize in [True, False]:
            warnings.warn(
                "boolean values for 'standardize' will be deprecated in nilearn "
                "0.15.0.\nUse 'zscore_sample' instead of 'True' or use 'None' "
                "instead of 'False'.",
                FutureWarning,
                stacklevel=4,
            )

    def _warn_population_standardize(self) -> None:
        """Warn that ``standardize=True`` keeps niimasker's meaning (any image kind)."""
        if self.standardize is True:
            warnings.warn(
                "'standardize=True' divides by the population standard deviation "
                "(niimasker's meaning, nilearn's before 0.14); use "
                "'zscore_sample' for nilearn 0.14's meaning.",
                UserWarning,
                stacklevel=4,
            )

    def _cleaning(self, with_hv: bool = True) -> CleaningOptions:
        """Everything :func:`clean_image_signals` needs but the TR, as options."""
        return CleaningOptions(
            detrend=self.detrend,
            standardize=standardize_method(self.standardize),
            standardize_confounds=self.standardize_confounds,
            high_pass=self.high_pass,
            low_pass=self.low_pass,
            clean_kwargs=self._clean_kwargs(),
            runs=getattr(self, "runs", None),  # region maskers have no runs
            high_variance_confounds=bool(self.high_variance_confounds and with_hv),
        )


def _args(func) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def _nifti_file(name: Any) -> bool:
    """Return whether ``name`` is the path of an existing NIfTI file (no wildcard)."""
    if not isinstance(name, (str, Path)):
        return False
    name = str(name)
    return (
        name.endswith((".nii", ".nii.gz"))
        and not glob.has_magic(name)
        and os.path.isfile(name)
    )
