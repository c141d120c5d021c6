"""The ``Multi`` surface maskers: one fitted masker, a list of ``SurfaceImage``, ``n_jobs``."""

from __future__ import annotations

from .multi import MultiTransform, _with_parameters_of
from .surface_base import check_surface_imgs
from .surface_labels_masker import SurfaceLabelsMasker
from .surface_maps_masker import SurfaceMapsMasker
from .surface_masker import SurfaceMasker

__all__ = ["MultiSurfaceLabelsMasker", "MultiSurfaceMapsMasker", "MultiSurfaceMasker"]


@_with_parameters_of(SurfaceMasker, "Images processed in parallel (joblib).")
class MultiSurfaceMasker(MultiTransform, SurfaceMasker):
    """:class:`SurfaceMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiSurfaceMasker`` (nilearn 0.14): the
    mask is computed from all the images given to ``fit``; each image is
    extracted as :class:`SurfaceMasker` does, in ``n_jobs`` processes.
    """

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
        n_jobs=1,
        verbose=0,
        reports=True,
        cmap="inferno",
        clean_args=None,
    ):
        super().__init__(
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
            memory=memory,
            memory_level=memory_level,
            verbose=verbose,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs

    def fit(self, imgs=None, y=None):
        """Binarise ``mask_img``, or compute the mask of all of ``imgs``.

        Parameters
        ----------
        imgs : SurfaceImage, list of SurfaceImage or None
            Images the mask is computed from (when no ``mask_img``).
        y : None
            Unused.

        Returns
        -------
        MultiSurfaceMasker
            The fitted masker.
        """
        del y
        self._check_fit_params()
        if imgs is not None:
            self._say("load_data", imgs)
            check_surface_imgs(imgs)
        return self._fit(imgs)


@_with_parameters_of(SurfaceLabelsMasker, "Images processed in parallel (joblib).")
class MultiSurfaceLabelsMasker(MultiTransform, SurfaceLabelsMasker):
    """:class:`SurfaceLabelsMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiSurfaceLabelsMasker`` (nilearn
    0.14); each image is extracted as :class:`SurfaceLabelsMasker` does.
    """

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
        detrend=False,
        high_variance_confounds=False,
        low_pass=None,
        high_pass=None,
        t_r=None,
        dtype=None,
        memory=None,
        memory_level=1,
        n_jobs=1,
        verbose=0,
        strategy="mean",
        reports=True,
        cmap="inferno",
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
            memory=memory,
            memory_level=memory_level,
            verbose=verbose,
            strategy=strategy,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs

    def fit(self, imgs=None, y=None):
        """Load the labels (masked by ``mask_img``) and build the look-up table.

        Parameters
        ----------
        imgs : SurfaceImage, list of SurfaceImage or None
            Only checked.
        y : None
            Unused.

        Returns
        -------
        MultiSurfaceLabelsMasker
            The fitted masker.
        """
        del y
        from nilearn.surface.surface import check_surf_img

        self._check_fit_params()
        if imgs is not None:
            self._say("load_data", imgs)
            check_surface_imgs(imgs)
            for x in imgs if hasattr(imgs, "__iter__") else [imgs]:
                check_surf_img(x)
        return self._fit(imgs)


@_with_parameters_of(SurfaceMapsMasker, "Images processed in parallel (joblib).")
class MultiSurfaceMapsMasker(MultiTransform, SurfaceMapsMasker):
    """:class:`SurfaceMapsMasker` for lists of images, ``n_jobs`` in parallel.

    A drop-in for ``nilearn.maskers.MultiSurfaceMapsMasker`` (nilearn 0.14);
    each image is fitted as :class:`SurfaceMapsMasker` does.
    """

    def __init__(
        self,
        maps_img=None,
        mask_img=None,
        allow_overlap=True,
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
        n_jobs=1,
        verbose=0,
        reports=True,
        cmap="inferno",
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
            memory=memory,
            memory_level=memory_level,
            verbose=verbose,
            reports=reports,
            cmap=cmap,
            clean_args=clean_args,
        )
        self.n_jobs = n_jobs

    def fit(self, imgs=None, y=None):
        """Read the maps (sparse, masked) and invert their Gram matrix.

        Parameters
        ----------
        imgs : SurfaceImage, list of SurfaceImage or None
            Only checked.
        y : None
            Unused.

        Returns
        -------
        MultiSurfaceMapsMasker
            The fitted masker.
        """
        del y
        self._check_fit_params()
        if imgs is not None:
            self._say("load_data", imgs)
            check_surface_imgs(imgs)
        return self._fit(imgs)
