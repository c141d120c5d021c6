"""``NiftiSpheresMasker``: nilearn's spheres masker, extracting with the streaming engine."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..engine import Reduction
from ..rois.spheres import sphere_members
from .region_images import load_mask, resample_nearest, same_fov
from .region_job import Columns
from .regions import RegionMasker

__all__ = ["NiftiSpheresMasker"]


class NiftiSpheresMasker(RegionMasker):
    """Mean signals of spheres around seeds: nilearn's ``NiftiSpheresMasker``, faster.

    A drop-in for ``nilearn.maskers.NiftiSpheresMasker`` (nilearn 0.14): the
    same parameters, defaults, methods and fitted attributes. ``fit`` follows
    nilearn's rules (seed checks, mask loading); ``transform`` builds each
    sphere exactly as nilearn does (the same voxels, see
    :mod:`niimasker_core.rois.spheres`), streams the image once through
    niimasker's engine and cleans with the command's cleaning. Means of
    float images are bit-identical to nilearn's (``np.mean`` over the same
    voxels in the same order); cleaned signals agree to float32 rounding.

    Differences from nilearn, on purpose:

    * Integer images give exact sphere means (in nilearn's dtype: float32 for
      integers of up to 4 bytes); nilearn stores them in an array of the
      image's integer dtype, truncating them.
    * ``standardize=True`` divides by the population standard deviation
      (niimasker's meaning); ``"zscore_sample"`` is nilearn 0.14's ``True``.
    * The report is built when ``generate_report`` is called, and
      ``inverse_transform`` by nilearn's own masker (both import nilearn's
      masker classes only then).

    Parameters
    ----------
    seeds : list of triplets of float or None
        Sphere centres in world (mm) coordinates.
    radius : float or None
        Sphere radius in mm; None takes the voxel of each seed only.
    mask_img : path or nibabel image or None
        Mask intersected with every sphere (also the grid of
        ``inverse_transform``).
    allow_overlap : bool
        Allow spheres sharing voxels (otherwise a ``ValueError``).
    smoothing_fwhm : float or None
        Gaussian smoothing (mm) applied to each volume before extraction.
    standardize : {False, None, True, "zscore", "zscore_sample", "psc"}
        Standardization of the signals (``True``: population std).
    standardize_confounds : bool
        Z-score the confounds before regressing them out.
    high_variance_confounds : bool
        Add ``nilearn.image.high_variance_confounds`` as confounds.
    detrend : bool
        Remove a linear trend.
    low_pass : float or None
        Butterworth low-pass cut-off in Hz.
    high_pass : float or None
        Butterworth high-pass cut-off in Hz.
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
    clean_args : dict or None
        Further keyword arguments of ``nilearn.signal.clean``.

    Attributes
    ----------
    seeds_ : list of list of float
        The seeds.
    n_elements_ : int
        Number of spheres (output columns).
    mask_img_ : nibabel.Nifti1Image or None
        The mask.
    clean_args_ : dict
        The ``clean_args`` used.
    memory_ : joblib.Memory
        The cache.
    """

    def __init__(
        self,
        seeds=None,
        radius=None,
        mask_img=None,
        allow_overlap=False,
        smoothing_fwhm=None,
        standardize=False,
        standardize_confounds=True,
        high_variance_confounds=False,
        detrend=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        dtype=None,
        memory=None,
        memory_level=1,
        verbose=0,
        reports=True,
        clean_args=None,
    ):
        self.seeds = seeds
        self.radius = radius
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
        self.clean_args = clean_args

    def _nilearn_twin(self, reports: bool):
        from nilearn.maskers import NiftiSpheresMasker as Nilearn

        params = self.get_params()
        params.update(reports=reports, standardize=None, verbose=0)  # cleaning is ours
        return Nilearn(**params)

    def fit(self, imgs=None, y=None):
        """Check the seeds and load the mask, as nilearn's ``fit`` does.

        Parameters
        ----------
        imgs : path, nibabel image, list of them or None
            Unused for the extraction (spheres are built on each image's grid).
        y : None
            Unused.

        Returns
        -------
        NiftiSpheresMasker
            The fitted masker.

        Raises
        ------
        ValueError
            If the seeds are not a list of triplets of coordinates.
        """
        del y
        if self.dtype is bool:
            raise TypeError("'dtype' cannot be bool")
        if imgs is not None:
            self._check_imgs(imgs)
        error = "Seeds must be a list of triplets of coordinates in native space.\n"
        if not hasattr(self.seeds, "__iter__"):
            raise ValueError(f"{error}Given seed list is of type: {type(self.seeds)}")
        seeds = []
        for i, seed in enumerate(self.seeds):
            if not hasattr(seed, "__len__"):
                raise ValueError(
                    f"{error}Seed #{i} is not a valid triplet of coordinates. It is "
                    f"of type {type(seed).__name__}."
                )
            seed = seed.tolist() if isinstance(seed, np.ndarray) else list(seed)
            if len(seed) != 3:
                raise ValueError(
                    f"{error}Seed #{i} is of length {len(seed)} instead of 3."
                )
            seeds.append(seed)
        self.clean_args_ = self._clean_kwargs()
        self._fit_cache()
        self._log("load_data", imgs)
        self._log("load_mask", self.mask_img)
        self.mask_img_ = None if self.mask_img is None else load_mask(self.mask_img)
        self.seeds_ = seeds
        self.n_elements_ = len(seeds)
        self._reset_report(imgs)
        self._log("fit_done")
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Return True once ``fit`` has run."""
        return hasattr(self, "seeds_") and hasattr(self, "n_elements_")

    @property
    def _n_features_out(self) -> int:
        return self.n_elements_

    def _signals_dtype(self, data, image):
        """Return the data's own dtype: nilearn fills an array of it (see the class doc)."""
        del image
        return np.dtype(data)

    def _reduction(self, image):
        """Return the spheres on this image's grid, with nilearn's membership."""
        mask = None
        if self.mask_img_ is not None:
            mask_img = self.mask_img_
            if not same_fov(mask_img, image.shape, image.affine):
                mask_img = resample_nearest(mask_img, image.shape, image.affine)
            mask = np.asanyarray(mask_img.dataobj).astype(bool)
            if not mask.any():
                raise ValueError(
                    "The mask is invalid as it is empty: it masks all data."
                )
        radii = [self.radius] * len(self.seeds_)
        members = sphere_members(
            np.asarray(self.seeds_, dtype=float), radii, image.shape, image.affine, mask
        )
        sizes = np.array([len(m) for m in members])
        empty = np.flatnonzero(sizes == 0)
        if empty.size:
            raise ValueError(f"These spheres are empty: {empty}")
        if not self.allow_overlap and members:
            voxels = np.concatenate(members)
            if np.unique(voxels).size < voxels.size:
                raise ValueError("Overlap detected between spheres")
        c_index = np.concatenate(members)
        voxels = np.ravel_multi_index(
            np.unravel_index(c_index, image.shape, order="C"), image.shape, order="F"
        ).astype(np.int64)
        bounds = np.concatenate([[0], np.cumsum(sizes)])

        def reduce(values: np.ndarray) -> np.ndarray:
            out = np.empty((values.shape[0], len(members)))
            for column in range(len(members)):
                # np.mean in the data's dtype over C-ordered voxels: nilearn's numbers
                out[:, column] = np.mean(
                    values[:, bounds[column] : bounds[column + 1]], axis=1
                )
            return out

        reduction = Reduction(
            columns=[str(i) for i in range(len(members))], voxels=voxels, reduce=reduce
        )
        return reduction, Columns()

    def inverse_transform(self, region_signals):
        """Return the image with each sphere filled with its signal (nilearn's own).

        Parameters
        ----------
        region_signals : numpy.ndarray or DataFrame
            ``(n_volumes, n_spheres)`` or ``(n_spheres,)``.

        Returns
        -------
        nibabel.Nifti1Image
            The image on ``mask_img``'s grid.

        Raises
        ------
        ValueError
            Without ``mask_img`` (nilearn's behaviour: no grid to fill).
        """
        check_is_fitted(self)
        self._log("inverse_transform")
        twin = self._nilearn_twin(reports=False)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            twin.fit()
        return twin.inverse_transform(region_signals)

    def _report_twin_unfitted(self):
        """Nilearn's masker of the same parameters (for reports)."""
        return self._nilearn_twin(reports=self.reports)
