"""The command's voxel mode: :class:`NiftiMasker` driven by the batch's settings.

When ``roi_file`` is not given, the batch extracts every voxel of ``mask_img``,
or of a mask computed with ``mask_strategy`` (+ ``mask_args``) from the first
input image. One :class:`NiftiMasker` is fitted for the whole batch; each image
goes through that masker's own extraction and cleaning code, with the batch's
confounds, scrubbing and ``discard_scans``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .nifti_masker import NiftiMasker

__all__ = ["VoxelSource", "masker_from_settings", "write_voxels_nifti"]


def _target_affine(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return np.diag([float(value)] * 3)  # a voxel size: nilearn's 3x3 affine
    return np.asarray(value, dtype=float)


def masker_from_settings(settings: Any, t_r: float | None = None) -> NiftiMasker:
    """Return the (unfitted) :class:`NiftiMasker` the settings describe.

    Parameters
    ----------
    settings : Settings
        The batch's settings.
    t_r : float or None
        The repetition time of the image (the batch resolves it per image).

    Returns
    -------
    NiftiMasker
        With the settings' mask, resampling, smoothing and cleaning.
    """
    return NiftiMasker(
        mask_img=settings.mask_img,
        runs=None if settings.runs is None else np.asarray(settings.runs),
        smoothing_fwhm=settings.smoothing_fwhm,
        standardize=settings.standardize_method,
        standardize_confounds=settings.standardize_confounds,
        detrend=settings.detrend,
        high_variance_confounds=settings.high_variance_confounds,
        low_pass=settings.low_pass,
        high_pass=settings.high_pass,
        t_r=t_r,
        target_affine=_target_affine(settings.target_affine),
        target_shape=settings.target_shape,
        mask_strategy=settings.mask_strategy,
        mask_args=settings.mask_args,
        dtype=settings.dtype,
        reports=False,
    )


class VoxelSource:
    """Every voxel of one mask, fitted once for the batch.

    Parameters
    ----------
    settings : Settings
        The batch's settings.
    first_image : str
        The image a mask is computed from when ``mask_img`` is not given.
    """

    kind = "voxels"

    def __init__(self, settings: Any, first_image: str) -> None:
        self.settings = settings
        self.masker = masker_from_settings(settings)
        if settings.mask_img is None:
            self.masker.fit(first_image)
            self.mask_source = (
                f"computed with mask_strategy '{settings.mask_strategy}' from "
                f"'{first_image}'"
            )
        else:
            self.masker.fit()
            self.mask_source = f"mask_img '{settings.mask_img}'"
        self.output_format = settings.output_format or "nifti"
        self._columns: list[str] | None = None

    @property
    def n_voxels(self) -> int:
        """Return the number of voxels extracted."""
        return self.masker.n_elements_

    @property
    def mask_img(self):
        """Return the mask used (after resampling), a nibabel image."""
        return self.masker.mask_img_

    def columns(self) -> list[str]:
        """Return the column names ``voxel_<i>_<j>_<k>`` (0-based, mask order)."""
        if self._columns is None:
            i, j, k = np.nonzero(np.asanyarray(self.masker._mask_data))
            self._columns = [f"voxel_{a}_{b}_{c}" for a, b, c in zip(i, j, k)]
        return self._columns

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": "voxels",
            "mask_source": self.mask_source,
            "mask_file": "niimasker_data/mask_img.nii.gz",
            "n_voxels": self.n_voxels,
            "output_format": self.output_format,
        }

    def extract(
        self,
        image: str,
        t_r: float | None,
        confounds: np.ndarray | None,
        sample_mask: np.ndarray | None,
        discard_scans: int,
    ) -> np.ndarray:
        """Return the cleaned ``(n_kept_volumes, n_voxels)`` signals of one image.

        Parameters
        ----------
        image : str
            The 4D image.
        t_r : float or None
            Its repetition time.
        confounds : numpy.ndarray or None
            Regressors, one row per volume after ``discard_scans``.
        sample_mask : numpy.ndarray or None
            Indices of the volumes kept (after ``discard_scans``).
        discard_scans : int
            Leading volumes dropped.

        Returns
        -------
        numpy.ndarray
            The signals, as :meth:`NiftiMasker.transform` computes them.
        """
        masker = self.masker
        masker.t_r = t_r  # the fitted mask does not depend on it
        return masker._transform(
            image, confounds, sample_mask, discard_scans=discard_scans
        )


def write_voxels_nifti(target: Any, mask_img: Any, values: np.ndarray) -> Any:
    """Write ``(n_volumes, n_voxels)`` signals as a 4D NIfTI in the mask's space.

    The same image as :meth:`NiftiMasker.inverse_transform` (float32, zeros
    outside the mask, the mask's affine), written volume by volume through
    ISA-L's gzip (level 1, nibabel's default) when the name ends in ``.gz``,
    so memory stays at one volume.

    Parameters
    ----------
    target : str or pathlib.Path
        ``.nii.gz`` (or ``.nii``) file, written atomically.
    mask_img : nibabel.Nifti1Image
        The mask.
    values : numpy.ndarray
        The signals, voxels in the mask's C order.

    Returns
    -------
    pathlib.Path
        ``target``.
    """
    import nibabel as nib

    from ..io.writers import atomic_path

    mask = np.asanyarray(mask_img.dataobj).astype(bool)
    n_volumes = values.shape[0]
    header = nib.Nifti1Header()
    header.set_data_shape((*mask.shape, n_volumes))
    header.set_data_dtype(np.float32)
    header.set_qform(mask_img.affine, code=1)
    header.set_sform(mask_img.affine, code=1)
    header.set_xyzt_units("mm", "sec")
    header["vox_offset"] = 352
    if str(target).endswith(".gz"):
        try:
            from isal import igzip as gzip_module
        except ImportError:  # pragma: no cover - isal is a requirement
            import gzip as gzip_module

        def opener(path):
            return gzip_module.open(path, "wb", compresslevel=1)
    else:

        def opener(path):
            return open(path, "wb")

    volume = np.zeros(mask.shape, dtype=np.float32)
    with atomic_path(target) as tmp, opener(tmp) as handle:
        handle.write(header.binaryblock)  # 348 bytes, vox_offset kept as set
        handle.write(b"\0" * (352 - len(header.binaryblock)))  # no extensions
        for row in values:
            volume[mask] = row
            handle.write(volume.tobytes(order="F"))
    return target
