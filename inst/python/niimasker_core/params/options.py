"""The small typed option objects each room takes, built from the settings in one place.

The batch holds the whole :class:`~niimasker_core.params.settings.Settings`;
the rooms below it never see it. Each receives only the parameters it uses,
as one frozen object: the cleaning (:class:`CleaningOptions`), the choice of
confounds (:class:`ConfoundOptions`), the streamed extraction
(:class:`ExtractionOptions`), the ROI sets (:class:`RoiOptions`) and the
voxels of a mask when there is no ROI file (:class:`VoxelOptions`).
:meth:`RunOptions.from_settings` builds them all, so a parameter's route from
the user to the code that uses it is written down once, here. Field names are
the parameter names (a test checks that every field but the documented extras
is a declared parameter), so messages name them as users type them.

The drop-in maskers build :class:`CleaningOptions` from their own attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .settings import Settings
from .vocabulary import default_output_format, standardize_method

__all__ = [
    "CleaningOptions",
    "ConfoundOptions",
    "ConnectivityOptions",
    "ExtractionOptions",
    "RoiOptions",
    "RunOptions",
    "VoxelOptions",
]


@dataclass(frozen=True)
class CleaningOptions:
    """How signals are cleaned (the repetition time comes with each image).

    Attributes
    ----------
    detrend, standardize_confounds : bool
        As the parameters.
    standardize : str or None
        The method, translated by
        :func:`~niimasker_core.params.vocabulary.standardize_method`
        (``True`` is ``'zscore'``).
    high_pass, low_pass : float or None
        Butterworth cut-offs in Hz.
    clean_kwargs : mapping or None
        Further ``nilearn.signal.clean`` arguments (the maskers' ``clean_args``).
    runs : tuple or None
        A run label per volume (voxel extraction): each run cleaned on its own.
    high_variance_confounds : bool
        Also regress out nilearn's high-variance confounds of each image.
    """

    detrend: bool
    standardize: str | None
    standardize_confounds: bool
    high_pass: float | None
    low_pass: float | None
    clean_kwargs: Mapping[str, Any] | None = None
    runs: tuple | None = None
    high_variance_confounds: bool = False


@dataclass(frozen=True)
class ConfoundOptions:
    """Which confounds are regressed, which volumes are dropped or censored.

    Attributes
    ----------
    regressors : tuple of str or None
        Column names, a preset, a nilearn strategy or components.
    motion, wm_csf, global_signal, compcor, ica_aroma : str or None
        nilearn's ``load_confounds`` options.
    scrub : int or None
        Shortest kept segment after scrubbing.
    fd_threshold, std_dvars_threshold : float or None
        Scrubbing thresholds.
    n_compcor : int, str or None
        CompCor components kept.
    demean : bool
        Demean the confounds of presets and strategies.
    discard_scans : int or str
        Leading volumes dropped, or ``'auto'``.
    output_volumes : str
        ``'censored'`` or ``'interpolated'``.
    detrend : bool
        Detrending also takes a degree of freedom (counted when checking that
        enough volumes remain).
    """

    regressors: tuple[str, ...] | None
    motion: str | None
    wm_csf: str | None
    global_signal: str | None
    scrub: int | None
    fd_threshold: float | None
    std_dvars_threshold: float | None
    compcor: str | None
    n_compcor: int | str | None
    ica_aroma: str | None
    demean: bool
    discard_scans: int | str
    output_volumes: str
    detrend: bool


@dataclass(frozen=True)
class ConnectivityOptions:
    """Which connectivity matrices each image's cleaned table gives, and how.

    Attributes
    ----------
    connectivity : tuple of str
        nilearn's kinds (empty: none).
    connectivity_estimator : str
        ``'empirical'`` or ``'ledoitwolf'``.
    fisher_z : bool
        Correlations written as ``arctanh`` (diagonal n/a).
    """

    connectivity: tuple[str, ...] = ()
    connectivity_estimator: str = "empirical"
    fisher_z: bool = False


@dataclass(frozen=True)
class ExtractionOptions:
    """How each volume is read before its regions are reduced.

    Attributes
    ----------
    smoothing_fwhm : float or None
        Gaussian smoothing in mm.
    nan_policy : str
        Non-finite values inside the ROI: ``'error'``, ``'zero'`` or ``'omit'``.
    min_coverage : float or None
        Regions covered less than this are ``n/a`` (None: every region kept).
    """

    smoothing_fwhm: float | None
    nan_policy: str
    min_coverage: float | None = None


@dataclass(frozen=True)
class RoiOptions:
    """What defines the regions of one ROI set (or of every set, before splitting).

    Attributes
    ----------
    roi_file : str, tuple of str or None
        One ROI definition, or several ``'name=path'`` entries.
    labels : tuple of str, str, dict or None
        Region names, a labels table, or one of them per ROI set.
    mask_img : str, dict or None
        A mask, or one per ROI set.
    strategy : str
        How the voxels of a region are summarised.
    as_voxels : bool
        Every voxel of the ROI instead of each region's statistic.
    radius : float or None
        Sphere radius in mm.
    allow_overlap : bool or None
        Overlapping spheres or maps allowed (None: the kind's default).
    data_dir : str or None
        nilearn's data folder for ``nilearn:`` queries.
    output_format : str or None
        As given (``'cifti'`` adds a surface atlas's ``.ptseries.nii``).
    """

    roi_file: str | tuple[str, ...] | None
    labels: tuple[str, ...] | str | dict[str, tuple[str, ...] | str | None] | None
    mask_img: str | dict[str, str | None] | None
    strategy: str
    as_voxels: bool
    radius: float | None
    allow_overlap: bool | None
    data_dir: str | None
    output_format: str | None = None


@dataclass(frozen=True)
class VoxelOptions:
    """Every voxel of a mask (no ``roi_file``): the mask and how signals are kept.

    Attributes
    ----------
    mask_img : str or None
        The mask; None computes one with ``mask_strategy``.
    mask_strategy : str
        nilearn's mask computing strategy.
    mask_args : dict or None
        Arguments of its mask function.
    target_affine : float, tuple or None
        Voxel size in mm or affine the mask is resampled to.
    target_shape : tuple of int or None
        Shape the mask is resampled to.
    dtype : str or None
        dtype of the signals (``'auto'``: as nilearn).
    output_format : str
        How the signals are written (resolved: ``'nifti'`` by default).
    nan_policy : str
        Non-finite voxels: ``'zero'`` reads them as 0 (nilearn's
        ``NiftiMasker``); ``'error'`` and ``'omit'`` refuse them.
    """

    mask_img: str | None
    mask_strategy: str
    mask_args: dict | None
    target_affine: float | tuple | None
    target_shape: tuple[int, int, int] | None
    dtype: str | None
    output_format: str
    nan_policy: str = "zero"


@dataclass(frozen=True)
class RunOptions:
    """Every room's options for one batch, built from its settings."""

    cleaning: CleaningOptions
    confounds: ConfoundOptions
    extraction: ExtractionOptions
    rois: RoiOptions
    voxels: VoxelOptions
    connectivity: ConnectivityOptions = ConnectivityOptions()

    @classmethod
    def from_settings(cls, settings: Settings) -> RunOptions:
        """Split validated settings into each room's options.

        Parameters
        ----------
        settings : Settings
            The batch's settings.

        Returns
        -------
        RunOptions
            One option object per room.
        """
        s = settings
        return cls(
            cleaning=CleaningOptions(
                detrend=s.detrend,
                standardize=standardize_method(s.standardize),
                standardize_confounds=s.standardize_confounds,
                high_pass=s.high_pass,
                low_pass=s.low_pass,
                runs=s.runs,
                high_variance_confounds=s.high_variance_confounds,
            ),
            confounds=ConfoundOptions(
                regressors=s.regressors,
                motion=s.motion,
                wm_csf=s.wm_csf,
                global_signal=s.global_signal,
                scrub=s.scrub,
                fd_threshold=s.fd_threshold,
                std_dvars_threshold=s.std_dvars_threshold,
                compcor=s.compcor,
                n_compcor=s.n_compcor,
                ica_aroma=s.ica_aroma,
                demean=s.demean,
                discard_scans=s.discard_scans,
                output_volumes=s.output_volumes,
                detrend=s.detrend,
            ),
            extraction=ExtractionOptions(
                smoothing_fwhm=s.smoothing_fwhm,
                nan_policy=s.nan_policy,
                min_coverage=s.min_coverage,
            ),
            rois=RoiOptions(
                roi_file=s.roi_file,
                labels=s.labels,
                mask_img=s.mask_img,
                strategy=s.strategy,
                as_voxels=s.as_voxels,
                radius=s.radius,
                allow_overlap=s.allow_overlap,
                data_dir=s.data_dir,
                output_format=s.output_format,
            ),
            voxels=VoxelOptions(
                mask_img=s.mask_img,  # one path: per-set masks need a roi_file
                mask_strategy=s.mask_strategy,
                mask_args=s.mask_args,
                target_affine=s.target_affine,
                target_shape=s.target_shape,
                dtype=s.dtype,
                output_format=default_output_format(s.output_format, voxels=True),
                nan_policy=s.nan_policy,
            ),
            connectivity=ConnectivityOptions(
                connectivity=s.connectivity or (),
                connectivity_estimator=s.connectivity_estimator,
                fisher_z=s.fisher_z,
            ),
        )
