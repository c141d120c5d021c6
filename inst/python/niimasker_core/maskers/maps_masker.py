"""``NiftiMapsMasker``: nilearn's maps masker, with a streamed least-squares fit."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
from nibabel.filename_parser import splitext_addext
from scipy import sparse
from sklearn.utils.validation import check_is_fitted

from ..domains.volume.grid import Grid, grid_key
from ..domains.volume.nifti import array_image_info, read_image_info
from ..rois.maps import maps_reduction, read_maps
from ..rois.voxels import finite_mask_data
from . import nilearn_dtypes
from .region_images import check_same_grid, inverse_dtype
from .region_job import Columns
from .regions import RegionMasker

__all__ = ["NiftiMapsMasker"]


def _maps_info(img):
    """Return what ``read_maps`` streams: the maps' file, or their array."""
    path = img.get_filename() if hasattr(img, "get_filename") else None
    if path and splitext_addext(str(path))[1] in (".nii", ".nii.gz"):
        if nib.is_proxy(img.dataobj):
            return read_image_info(path, need_4d=False)
    return array_image_info(np.asanyarray(img.dataobj), img.affine, "maps_img")


def _same_grid(shape, affine, img) -> bool:
    return grid_key(shape, affine) == grid_key(img.shape[:3], img.affine)


class NiftiMapsMasker(RegionMasker):
    """Signals of (overlapping) probabilistic maps: nilearn's ``NiftiMapsMasker``, faster.

    A drop-in for ``nilearn.maskers.NiftiMapsMasker`` (nilearn 0.14): the same
    parameters, defaults, methods and fitted attributes. Each volume is
    fitted by least squares on the maps, as nilearn's ``lstsq``, but streamed:
    the maps are read once as a sparse matrix (never as a dense 4D array) and
    each chunk of volumes is projected on them and multiplied by the inverse
    of their Gram matrix (see :mod:`niimasker_core.rois.maps`). Cleaning is
    the command's.

    Differences from nilearn, on purpose:

    * The fit is computed in float64 (nilearn solves it in the image's float32
      precision), so signals differ from nilearn's by float32 rounding of
      the fit, not more; they equal ``scipy.linalg.lstsq`` in float64.
    * ``maps_img_`` is the maps image as loaded, not a copy held in memory
      (with 1,000 MNI maps that copy is 3.6 GB); non-finite map values count
      as 0 in the fit, as nilearn's cleaned copy has them. When the maps are
      resampled to the data at ``fit``, ``maps_img_`` is the resampled image.
    * ``standardize=True`` divides by the population standard deviation
      (niimasker's meaning); ``"zscore_sample"`` is nilearn 0.14's ``True``.
    * The report is built when ``generate_report`` is called.

    Parameters
    ----------
    maps_img : path or nibabel image or None
        The 4D maps, one per volume.
    mask_img : path or nibabel image or None
        Mask restricting the maps.
    allow_overlap : bool
        Allow maps sharing voxels (otherwise a ``ValueError``).
    smoothing_fwhm : float or None
        Gaussian smoothing (mm) applied to each volume before the fit.
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
    resampling_target : {"data", "mask", "maps", None}
        The grid of the fit: the data's (maps resampled, linear; mask,
        nearest), the mask's or the maps' (each volume resampled), or none.
    keep_masked_maps : bool
        Keep maps emptied by ``mask_img`` as zero columns (deprecated in
        nilearn 0.14, which warns, as here).
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
    maps_img_ : nibabel.Nifti1Image
        The maps (see above).
    mask_img_ : nibabel.Nifti1Image or None
        The mask, resampled to the fitted grid.
    n_elements_ : int
        Number of maps.
    clean_args_ : dict
        The ``clean_args`` used.
    memory_ : joblib.Memory
        The cache.
    """

    _nilearn_class = "NiftiMapsMasker"
    # ~18 MNI volumes per chunk: the sparse product's cost per call is amortised
    _chunk_bytes = 64 * 2**20

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
        self.resampling_target = resampling_target
        self.keep_masked_maps = keep_masked_maps
        self.memory = memory
        self.memory_level = memory_level
        self.verbose = verbose
        self.reports = reports
        self.cmap = cmap
        self.clean_args = clean_args

    # ------------------------------------------------------------------ fit
    def fit(self, imgs=None, y=None):
        """Load the maps (sparse) and the mask, resampled to the fitted grid.

        Parameters
        ----------
        imgs : path, nibabel image, list of them or None
            Images whose grid the maps are resampled to (``resampling_target``
            ``"data"``); only their headers are read.
        y : None
            Unused.

        Returns
        -------
        NiftiMapsMasker
            The fitted masker.

        Raises
        ------
        ValueError
            For nilearn's invalid settings and empty maps.
        """
        del y
        from nilearn.image import check_niimg, new_img_like, resample_img
        from nilearn.image.image import check_same_fov
        from nilearn.masking import load_mask_img

        if self.dtype is bool:
            raise TypeError("'dtype' cannot be bool")
        if imgs is not None:
            self._check_imgs(imgs)
        if self.resampling_target not in ("mask", "maps", "data", None):
            raise ValueError(
                "'resampling_target' must be one of 'mask', 'maps', 'data' or None. "
                f"Got resampling_target={self.resampling_target!r}."
            )
        if self.mask_img is None and self.resampling_target == "mask":
            raise ValueError(
                "resampling_target has been set to 'mask' but no mask has been "
                "provided.\nSet resampling_target to something else or provide a "
                "mask."
            )
        if self.maps_img is None:
            raise TypeError(
                "'maps_img': input should be a NiftiLike object (a 4D path or "
                "nibabel image). Got: NoneType"
            )
        self.clean_args_ = self._clean_kwargs()
        self._fit_cache()
        self._log("load_data", imgs)
        self._log("load_mask", self.mask_img)
        mask_img = None
        if self.mask_img is not None:
            given = check_niimg(self.mask_img, atleast_4d=True)
            data = np.asanyarray(given.dataobj)
            mask_img = new_img_like(
                given, finite_mask_data(data).astype(bool).all(axis=3)
            )
            load_mask_img(mask_img)
        maps_img = check_niimg(self.maps_img, atleast_4d=True)
        imgs_ = None
        if imgs is not None:  # a list (Multi masker): the first image's grid
            first = imgs[0] if isinstance(imgs, (list, tuple)) and imgs else imgs
            imgs_ = check_niimg(first)
        if self.resampling_target is None:
            images = {"maps": maps_img}
            if mask_img is not None:
                images["mask"] = mask_img
            if imgs_ is not None:
                images["data"] = imgs_
            check_same_fov(raise_error=True, **images)
        ref = {
            "data": imgs_,
            "mask": mask_img,
            "maps": maps_img,
            None: None,
        }[self.resampling_target]
        self._log("load_regions", self.maps_img)
        maps = read_maps(_maps_info(maps_img))
        if ref is not None and not _same_grid(ref.shape[:3], ref.affine, maps_img):
            self._log("resample_regions")
            shape, affine = tuple(int(n) for n in ref.shape[:3]), ref.affine
            maps = read_maps(_maps_info(maps_img), shape, affine)
            if maps.nnz == 0:
                raise ValueError("No map left after resampling maps_img.")
            maps_img = _dense_maps(maps, shape, affine)
        if maps.nnz == 0:
            raise ValueError("maps_img contains no map.")
        if ref is not None and mask_img is not None:
            if not check_same_fov(ref, mask_img):
                self._log("resample_mask")
                mask_img = resample_img(
                    mask_img,
                    target_affine=ref.affine,
                    target_shape=ref.shape[:3],
                    interpolation="nearest",
                    copy=True,
                )
                load_mask_img(mask_img)
            inside = np.asanyarray(mask_img.dataobj).astype(bool).ravel(order="F")
            if not (maps[inside] != 0).nnz:
                raise ValueError("No map left after applying mask to the maps image.")
        self._maps = maps
        self._grid_maps: dict = {}
        self.maps_img_ = maps_img
        self.mask_img_ = mask_img
        self.n_elements_ = int(maps.shape[1])
        self._reset_report(imgs)
        self._log("fit_done")
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Return True once ``fit`` has run."""
        return hasattr(self, "maps_img_") and hasattr(self, "n_elements_")

    @property
    def _n_features_out(self) -> int:
        return self.n_elements_

    # ------------------------------------------------------------ transform
    def _maps_on(self, shape, affine) -> sparse.csc_array:
        """Return the maps on a grid (resampled linearly once per grid, as nilearn)."""
        if _same_grid(shape, affine, self.maps_img_):
            return self._maps
        key = grid_key(shape, affine)
        if key not in self._grid_maps:
            maps = read_maps(_maps_info(self.maps_img_), shape, affine)
            if maps.nnz == 0:
                raise ValueError("No map left after resampling maps_img.")
            self._grid_maps = {key: maps}
        return self._grid_maps[key]

    def _signals_dtype(self, data, image):
        """Return the dtype of nilearn's least-squares signals (data and maps)."""
        from nilearn._utils.niimg import img_data_dtype

        maps = np.dtype(img_data_dtype(self.maps_img_))
        if self.resampling_target == "data" and not _same_grid(
            image.shape, image.affine, self.maps_img_
        ):
            maps = nilearn_dtypes.resampled(maps)
        return nilearn_dtypes.maps_signals(data, maps)

    def _reduction(self, image):
        """Return the least-squares reduction for this image (nilearn's grid rules)."""
        grid = None
        shape, affine = image.shape, image.affine
        if self.resampling_target is None:
            check_same_grid(shape, affine, self.maps_img_)
            if self.mask_img_ is not None:
                check_same_grid(shape, affine, self.mask_img_)
        elif self.resampling_target in ("maps", "mask"):
            if not _same_grid(shape, affine, self.maps_img_):
                warnings.warn(
                    "Resampling images at transform time...\nTo avoid this warning, "
                    "make sure to resample the images you want to transform to the "
                    "shape of the maps or set resampling_target to 'data'.",
                    stacklevel=4,
                )
                shape = tuple(int(n) for n in self.maps_img_.shape[:3])
                affine = self.maps_img_.affine
                grid = Grid(shape, affine)
        elif not _same_grid(shape, affine, self.maps_img_):
            warnings.warn(
                "Resampling maps at transform time...\nTo avoid this warning, make "
                "sure to pass the images you want to transform to fit() first, or "
                "directly use fit_transform().",
                stacklevel=4,
            )
        maps = self._maps_on(shape, affine)
        if not self.allow_overlap:
            self._check_overlap(maps)
        kept = np.arange(maps.shape[1])
        if self.mask_img_ is not None:
            mask_img = self.mask_img_
            if not _same_grid(shape, affine, mask_img):
                from nilearn.image import resample_img  # only then: a worker's import

                mask_img = resample_img(
                    mask_img,
                    interpolation="nearest",
                    target_shape=shape,
                    target_affine=affine,
                )
            inside = np.asanyarray(mask_img.dataobj).astype(bool).ravel(order="F")
            maps = sparse.csc_array(sparse.diags_array(inside.astype(float)) @ maps)
            maps.eliminate_zeros()
            kept = self._kept_maps(maps)
        reduction = maps_reduction(maps, [str(i) for i in range(maps.shape[1])])
        reduction.domain = grid
        empty = np.flatnonzero(np.diff(maps.indptr) == 0)

        # an empty map's signal is 0: lstsq's minimum-norm value
        return reduction, Columns(zeroed=empty, kept=kept)

    def _kept_maps(self, maps: sparse.csc_array) -> np.ndarray:
        present = np.flatnonzero(np.diff(maps.indptr) > 0)
        if self.keep_masked_maps:
            warnings.warn(
                'Applying "mask_img" before signal extraction may result in empty '
                "region signals in the output. These are currently kept.\n"
                '"keep_masked_maps" parameter will be removed in version 0.15. '
                'Set "keep_masked_maps=False" to silence this warning.',
                FutureWarning,
                stacklevel=5,
            )
            return np.arange(maps.shape[1])
        removed = sorted(set(range(maps.shape[1])) - set(present.tolist()))
        if removed:
            if present.size == 0:
                raise ValueError("No map left after applying mask to the maps image.")
            warnings.warn(
                "After applying mask to the maps image, maps with the following "
                f"indices were removed: {set(removed)}. Out of {maps.shape[1]} maps, "
                f"the masked map image only contains {present.size} maps.",
                stacklevel=5,
            )
        return present

    def _check_overlap(self, maps: sparse.csc_array) -> None:
        dtype = self.maps_img_.get_data_dtype()
        eps = np.finfo(dtype if np.dtype(dtype).kind == "f" else np.float32).eps
        positive = sparse.csr_array(maps >= eps)
        if np.any(np.diff(positive.indptr) > 1):
            raise ValueError(
                "Overlap detected in the maps. The overlap may be due to the atlas "
                "itself or possibly introduced by resampling."
            )

    # -------------------------------------------------- inverse and reports
    def inverse_transform(self, region_signals):
        """Return ``signals @ maps`` as an image (nilearn's ``signals_to_img_maps``).

        Parameters
        ----------
        region_signals : numpy.ndarray or DataFrame
            ``(n_volumes, n_maps)`` or ``(n_maps,)``.

        Returns
        -------
        nibabel.Nifti1Image
            The image on the maps' grid.
        """
        from nilearn.regions.signal_extraction import signals_to_img_maps

        check_is_fitted(self)
        self._log("inverse_transform")
        signals = self._check_signals(region_signals, self.n_elements_)
        img = signals_to_img_maps(signals, self.maps_img_, mask_img=self.mask_img_)
        return inverse_dtype(img, signals, self.dtype)

    def _report_twin_unfitted(self):
        """Nilearn's masker of the same parameters (for reports)."""
        import nilearn.maskers

        Nilearn = getattr(nilearn.maskers, self._nilearn_class)
        params = self.get_params()
        params.update(reports=self.reports, standardize=None, verbose=0)
        return Nilearn(**params)


def _dense_maps(maps: sparse.csc_array, shape, affine):
    """Return the maps on a new grid as a 4D image (when ``fit`` resamples them)."""
    data = (
        maps.toarray().astype(np.float32).reshape(shape + (maps.shape[1],), order="F")
    )
    return nib.Nifti1Image(data, affine)
