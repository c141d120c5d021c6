"""Every parameter of niimasker, declared once: name, default, help, coercer and faces.

Each parameter is one :class:`Parameter` in :data:`PARAMETERS`. The command's
flags (:mod:`niimasker_core.faces.cli`), the JSON config keys
(:mod:`niimasker_core.params.config`), the Python API's keywords, signature
and docstring (:mod:`niimasker_core.faces.api`), the typed
:class:`~niimasker_core.params.settings.Settings` fields and the sidecar's
``Cleaning`` block are all built from, or checked against, these entries; the
R package takes the same names as arguments (a test keeps its formals and
roxygen ``@param`` lines equal to them). Allowed words come from
:mod:`niimasker_core.params.vocabulary`, coercers from
:mod:`niimasker_core.params.coercion`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .coercion import (
    as_bool,
    as_choice,
    as_discard_scans,
    as_dtype,
    as_fraction,
    as_kinds,
    as_labels,
    as_mask_args,
    as_mask_img,
    as_n_compcor,
    as_n_jobs,
    as_nonnegative,
    as_number,
    as_optional_bool,
    as_optional_choice,
    as_optional_count,
    as_path,
    as_roi_files,
    as_runs,
    as_scheduler,
    as_shard,
    as_size,
    as_standardize,
    as_strings,
    as_target_affine,
    as_target_shape,
    discard_scans_word,
    standardize_word,
    true_or_false,
)
from .vocabulary import (
    COMPCOR_TYPES,
    CONFOUND_MODELS,
    CONNECTIVITY_ESTIMATORS,
    CONNECTIVITY_KINDS,
    ICA_AROMA_TYPES,
    MASK_STRATEGIES,
    NAN_POLICIES,
    OUTPUT_FORMATS,
    OUTPUT_LAYOUTS,
    OUTPUT_VOLUMES,
    REDUCTION_STRATEGIES,
)

__all__ = ["CONFIG_ALIASES", "PARAMETERS", "PARAMETER_NAMES", "Parameter"]

#: Old or alternative config keys and the parameter they stand for.
CONFIG_ALIASES = {"sphere_size": "radius", "regressor_names": "regressors"}


@dataclass(frozen=True)
class Parameter:
    """One user-facing parameter, declared once; every interface is built from it.

    Attributes
    ----------
    name : str
        The one name of the parameter: Python keyword, config key, R argument
        and (as ``--name``) command flag.
    default : object
        The value when the parameter is not set (``None`` is "not set").
    help : str
        What it means, for ``niimasker -h`` and the documentation.
    coerce : callable
        ``coerce(name, value)`` returns the checked value or raises
        :class:`~niimasker_core.errors.SettingsError`.
    annotation : str
        Its type once coerced, for :class:`Settings` and the API signature.
    choices : tuple of str
        The allowed words, when the parameter is a choice.
    short : str or None
        The command's short flag (``-i``).
    many : bool
        The command takes several words (``-i a.nii b.nii``).
    repeat : bool
        The command's flag may be repeated, one word each (``-m a=x -m b=y``);
        the value is then the list of words.
    word : callable or None
        How the command turns one word into a value (``float``, ``int``,
        :func:`true_or_false`...); None keeps the word as text.
    bare : bool
        The flag may be given without a value, meaning ``true``
        (``--detrend`` or ``--detrend false``).
    metavar : str or None
        The value's name in ``niimasker -h``; the parameter name by default.
    positional : bool
        Positional (as well as keyword) in the Python API.
    command : str
        ``"option"`` (a ``--name`` flag) or ``"positional"`` (the command's
        first argument, also accepted as ``--name``).
    recorded : bool
        Listed in each output's sidecar (``Cleaning``): it changes the numbers.
    run_only : bool
        Says where, how or whether the batch runs, never what an output holds,
        so it is left out of each output's fingerprint (see
        :mod:`niimasker_core.batch.fingerprint`).
    """

    name: str
    default: Any
    help: str
    coerce: Callable[[str, Any], Any]
    annotation: str
    choices: tuple[str, ...] = ()
    short: str | None = None
    many: bool = False
    repeat: bool = False
    word: Callable[[str], Any] | None = None
    bare: bool = False
    metavar: str | None = None
    positional: bool = False
    command: str = "option"
    recorded: bool = False
    run_only: bool = False


def _p(name: str, default: Any, help: str, **faces: Any) -> Parameter:
    return Parameter(name, default, help, **faces)


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "input_files",
        None,
        "One or more 4D NIfTI images, CIFTI dense timeseries (.dtseries.nii), "
        "GIFTI hemispheres (.func.gii) or FreeSurfer surface series (.mgh/.mgz; "
        "a run's hemi-L and hemi-R, or lh. and rh., files are one image), or "
        "one quoted wildcard pattern such as "
        "'fmriprep/sub-*/func/*preproc_bold.nii.gz'. Files are naturally sorted. "
        "A 3D image (beta map, VBM, mean image) gives one row.",
        coerce=as_strings,
        annotation="tuple[str, ...] | None",
        short="-i",
        many=True,
        positional=True,
        run_only=True,
    ),
    _p(
        "roi_file",
        None,
        "The regions: a labelled atlas NIfTI (integer labels, 0 = background), a "
        "binary mask of one region, a 4D probabilistic atlas (one map per region), "
        "a .tsv/.csv of x, y, z coordinates for spheres, a surface atlas for "
        "surface images (.dlabel.nii, or one hemisphere's .label.gii or .annot, "
        "its other half found by name), surface maps (.dscalar.nii, or one "
        "hemisphere's .shape.gii or .func.gii: a region per map), or a nilearn "
        "atlas query such as "
        "'nilearn:schaefer:400-17-2'. Several ROI sets are read from one "
        "pass over each image: repeat -r (or give a list), each 'path' or "
        "'name=path'; their outputs are <stem>_atlas-<name>_timeseries.tsv.",
        coerce=as_roi_files,
        annotation="str | tuple[str, ...] | None",
        short="-r",
        many=True,
        positional=True,
    ),
    _p(
        "output_dir",
        None,
        "The folder where outputs are written (the command's first argument, or "
        "--output_dir). Without it the Python and R interfaces write nothing.",
        coerce=as_path,
        annotation="str | None",
        positional=True,
        command="positional",
        run_only=True,
    ),
    _p(
        "mask_img",
        None,
        "A binary NIfTI mask restricting an atlas or spheres to the voxels inside "
        "it (for example a grey-matter mask); for a surface atlas or maps, a "
        "vertex mask (.dscalar.nii, or one hemisphere's .shape.gii or .label.gii; "
        "non-zero = in). Ignored, with a warning, for a "
        "single-region mask. One path applies to every ROI set; with several, "
        "repeat -m as 'name=path' (a mapping of set name to path in a config or "
        "Python) to give each set its own: sets left out get no mask.",
        coerce=as_mask_img,
        annotation="str | dict[str, str | None] | None",
        short="-m",
        repeat=True,
        recorded=True,
    ),
    _p(
        "labels",
        None,
        "Region names in ascending label order: a list of names, or a .tsv with a "
        "'Labels'/'Label' column or BIDS 'index' and 'name' columns. A leading "
        "background name is dropped. Default: the numeric labels (a nilearn "
        "atlas: its own names). With several ROI sets, give each set its table as "
        "'name=table.tsv' (repeatable; a mapping of set name to names or table in "
        "a config or Python): sets left out keep their default names.",
        coerce=as_labels,
        annotation="tuple[str, ...] | str | dict[str, tuple[str, ...] | str | None] "
        "| None",
        many=True,
    ),
    _p(
        "regressor_files",
        None,
        "Confound tables (TSV/CSV with a header, or headerless numbers such as SPM "
        "rp_*.txt, FSL .par, AFNI .1D), one per input image, or one "
        "quoted wildcard pattern. fMRIPrep files are paired with images by their "
        "BIDS entities; other files by sorted order.",
        coerce=as_strings,
        annotation="tuple[str, ...] | None",
        many=True,
        run_only=True,
    ),
    _p(
        "regressors",
        None,
        "Confounds to regress: column names (wildcards allowed, e.g. "
        "'a_comp_cor_*'), a preset (Params2, Params6, Params9, Params24, Params36, "
        "AnatCompCor, TempCompCor, and their Scrub variants), a nilearn strategy "
        "(simple, scrubbing, compcor, ica_aroma) or a list of nilearn components "
        "(motion, wm_csf, global_signal, compcor, scrub, high_pass, ...). "
        "Default: every column of regressor_files.",
        coerce=as_strings,
        annotation="tuple[str, ...] | None",
        many=True,
        recorded=True,
    ),
    _p(
        "as_voxels",
        False,
        "Extract every voxel of the ROI instead of each region's mean.",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
        recorded=True,
    ),
    _p(
        "radius",
        None,
        "Sphere radius in mm around each coordinate of a coordinates roi_file. "
        "Default: the single voxel at each coordinate, as nilearn does.",
        coerce=as_nonnegative,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "allow_overlap",
        None,
        "Allow regions that share voxels: overlapping spheres (an error otherwise) "
        "or overlapping probabilistic maps. Default: nilearn's, false for spheres "
        "and true for 4D maps (which usually overlap).",
        coerce=as_optional_bool,
        annotation="bool | None",
        word=true_or_false,
        bare=True,
        recorded=True,
    ),
    _p(
        "strategy",
        "mean",
        "How voxels of a region are summarised: "
        + ", ".join(REDUCTION_STRATEGIES)
        + ".",
        coerce=as_choice(REDUCTION_STRATEGIES),
        annotation="str",
        choices=REDUCTION_STRATEGIES,
        recorded=True,
    ),
    _p(
        "data_dir",
        None,
        "Folder where nilearn keeps the atlases of 'nilearn:' queries (downloaded "
        "there the first time). Default: $NILEARN_DATA, else ~/nilearn_data.",
        coerce=as_path,
        annotation="str | None",
        run_only=True,
    ),
    _p(
        "standardize",
        False,
        "Standardize each timeseries: 'zscore' (population std, ddof 0; what a bare "
        "--standardize means), 'zscore_sample' (sample std, ddof 1) or 'psc' "
        "(percent signal change).",
        coerce=as_standardize,
        annotation="bool | str",
        word=standardize_word,
        bare=True,
        metavar="METHOD",
        recorded=True,
    ),
    _p(
        "standardize_confounds",
        True,
        "Z-score confounds before regressing them out (nilearn's default).",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        metavar="{true,false}",
        recorded=True,
    ),
    _p(
        "t_r",
        None,
        "Repetition time in seconds (e.g. 0.72). Needed for filtering. Default: "
        "RepetitionTime from the image's BIDS JSON sidecar, then the NIfTI header.",
        coerce=as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "high_pass",
        None,
        "High-pass cut-off in Hz (e.g. 0.01).",
        coerce=as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "low_pass",
        None,
        "Low-pass cut-off in Hz (e.g. 0.1).",
        coerce=as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "detrend",
        False,
        "Remove a linear trend from each timeseries.",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
        recorded=True,
    ),
    _p(
        "smoothing_fwhm",
        None,
        "Spatial smoothing kernel FWHM in mm, applied to each volume before "
        "extraction.",
        coerce=as_nonnegative,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "mask_strategy",
        "background",
        "Without roi_file, every voxel of mask_img is extracted, or of a mask "
        "computed from the first input image with nilearn's strategy: "
        + ", ".join(MASK_STRATEGIES)
        + ".",
        coerce=as_choice(MASK_STRATEGIES),
        annotation="str",
        choices=MASK_STRATEGIES,
        recorded=True,
    ),
    _p(
        "mask_args",
        None,
        "Arguments of nilearn's mask function for mask_strategy, as a JSON object "
        "(e.g. '{\"opening\": 1}').",
        coerce=as_mask_args,
        annotation="dict | None",
        recorded=True,
    ),
    _p(
        "target_affine",
        None,
        "Voxel extraction: resample the mask to this voxel size in mm (one number) "
        "or affine (16 numbers, row by row); images follow the mask.",
        coerce=as_target_affine,
        annotation="float | tuple | None",
        many=True,
        word=float,
        recorded=True,
    ),
    _p(
        "target_shape",
        None,
        "Voxel extraction: shape (3 numbers) of the resampled mask; needs a 4x4 "
        "target_affine.",
        coerce=as_target_shape,
        annotation="tuple[int, int, int] | None",
        many=True,
        word=int,
        recorded=True,
    ),
    _p(
        "runs",
        None,
        "Voxel extraction: a run label per volume (after discard_scans); each run "
        "is detrended, filtered and standardized on its own.",
        coerce=as_runs,
        annotation="tuple | None",
        many=True,
        recorded=True,
    ),
    _p(
        "high_variance_confounds",
        False,
        "Voxel extraction: also regress out nilearn's high-variance confounds of "
        "each image.",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
        recorded=True,
    ),
    _p(
        "dtype",
        None,
        "Voxel extraction: dtype of the signals ('auto': int32 for integer images, "
        "float32 otherwise, as nilearn).",
        coerce=as_dtype,
        annotation="str | None",
        recorded=True,
    ),
    _p(
        "output_format",
        None,
        "How timeseries are written: 'tsv' (a table), 'nifti' (the cleaned voxel "
        "signals as a 4D image in the mask's space; for a surface run without "
        "roi_file, in its own format: .dtseries.nii or a GIFTI pair), 'npy' "
        "(volumes x voxels, float32) or 'cifti' (a surface atlas's table also as "
        ".ptseries.nii; every grayordinate as .dtseries.nii). Default: tsv for "
        "regions, nifti for whole-mask voxels.",
        coerce=as_optional_choice(OUTPUT_FORMATS),
        annotation="str | None",
        choices=OUTPUT_FORMATS,
    ),
    _p(
        "output_layout",
        "flat",
        "Where outputs go: 'flat' (every file in OUTPUT_DIR, named after its "
        "image) or 'bids' (a BIDS derivative dataset: dataset_description.json, "
        "sub-<>/[ses-<>/]func/<entities>_atlas-<set>_stat-mean_timeseries.tsv, "
        "the atlases in atlases/; needs BIDS-named images and a roi_file).",
        coerce=as_choice(OUTPUT_LAYOUTS),
        annotation="str",
        choices=OUTPUT_LAYOUTS,
    ),
    _p(
        "min_coverage",
        None,
        "Regions whose coverage (the share of their voxels or vertices inside the "
        "mask and finite in the image; XCP-D's definition) is below this "
        "fraction (0-1) are n/a in that image's table; listed in the sidecar and "
        "the coverage table. Default: every region is kept.",
        coerce=as_fraction,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "discard_scans",
        0,
        "Drop the first N volumes of each image (and the same confound rows) before "
        "anything else, or 'auto': the leading volumes its confounds file flags as "
        "non-steady-state (fMRIPrep's non_steady_state_outlier* columns; XCP-D's "
        "convention; 0 without a confounds file).",
        coerce=as_discard_scans,
        annotation="int | str",
        word=discard_scans_word,
        recorded=True,
    ),
    _p(
        "nan_policy",
        "error",
        "NaN or infinite voxels inside the ROI: 'error' stops with the volume "
        "named; 'zero' counts them as 0 (nilearn's behaviour); 'omit' computes "
        "each region's statistic over its finite voxels of each volume (their "
        "smallest count per region is in the coverage table).",
        coerce=as_choice(NAN_POLICIES),
        annotation="str",
        choices=NAN_POLICIES,
        recorded=True,
    ),
    _p(
        "motion",
        None,
        "With a nilearn strategy or component list: motion regressors, one of "
        + ", ".join(CONFOUND_MODELS)
        + ". Default: the strategy's (nilearn: full).",
        coerce=as_optional_choice(CONFOUND_MODELS),
        annotation="str | None",
        choices=CONFOUND_MODELS,
        recorded=True,
    ),
    _p(
        "wm_csf",
        None,
        "With a nilearn strategy or component list: white matter and CSF "
        "regressors, one of " + ", ".join(CONFOUND_MODELS) + ". Default: the "
        "strategy's (nilearn: basic).",
        coerce=as_optional_choice(CONFOUND_MODELS),
        annotation="str | None",
        choices=CONFOUND_MODELS,
        recorded=True,
    ),
    _p(
        "global_signal",
        None,
        "With a nilearn strategy or component list: global signal regressors, one "
        "of " + ", ".join(CONFOUND_MODELS) + ". With 'simple', 'scrubbing' or "
        "'ica_aroma' this adds the global signal, as nilearn does. Default: none.",
        coerce=as_optional_choice(CONFOUND_MODELS),
        annotation="str | None",
        choices=CONFOUND_MODELS,
        recorded=True,
    ),
    _p(
        "scrub",
        None,
        "Scrubbing: after censoring high-motion volumes, also censor kept segments "
        "shorter than this many volumes (0: only the high-motion volumes). "
        "Default: the strategy's (nilearn: 5).",
        coerce=as_optional_count,
        annotation="int | None",
        word=int,
        recorded=True,
    ),
    _p(
        "fd_threshold",
        None,
        "Scrubbing: censor volumes whose framewise displacement exceeds this many "
        "mm. Default: the strategy's ('scrubbing' 0.5, Scrub presets 0.2). With "
        "column-name regressors, giving it turns scrubbing on.",
        coerce=as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "std_dvars_threshold",
        None,
        "Scrubbing: censor volumes whose standardized DVARS exceeds this value. "
        "Default: the strategy's ('scrubbing' 1.5, Scrub presets 3). With "
        "column-name regressors, giving it turns scrubbing on.",
        coerce=as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "compcor",
        None,
        "With the 'compcor' strategy or component: which CompCor components, one "
        "of " + ", ".join(COMPCOR_TYPES) + " (read from the confounds file's JSON "
        "sidecar). Default: the strategy's (nilearn: anat_combined).",
        coerce=as_optional_choice(COMPCOR_TYPES),
        annotation="str | None",
        choices=COMPCOR_TYPES,
        recorded=True,
    ),
    _p(
        "n_compcor",
        None,
        "Number of CompCor components to keep (per mask when separated), or 'all'. "
        "Default: all.",
        coerce=as_n_compcor,
        annotation="int | str | None",
        recorded=True,
    ),
    _p(
        "ica_aroma",
        None,
        "With the 'ica_aroma' component: 'full' (the image is fMRIPrep's "
        "desc-smoothAROMAnonaggr_bold, no AROMA regressors) or 'basic' (regress "
        "the aroma_motion_* columns). The 'ica_aroma' strategy always uses 'full'.",
        coerce=as_optional_choice(ICA_AROMA_TYPES),
        annotation="str | None",
        choices=ICA_AROMA_TYPES,
        recorded=True,
    ),
    _p(
        "demean",
        True,
        "With a preset, strategy or component list: demean the confounds over the "
        "kept volumes before cleaning (nilearn's load_confounds default; no effect "
        "on the result when standardize_confounds is true). Column names are "
        "regressed as given, never demeaned.",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        metavar="{true,false}",
        recorded=True,
    ),
    _p(
        "output_volumes",
        "censored",
        "With scrubbing: 'censored' writes only the kept volumes; 'interpolated' "
        "writes every volume, censored ones interpolated and marked.",
        coerce=as_choice(OUTPUT_VOLUMES),
        annotation="str",
        choices=OUTPUT_VOLUMES,
        recorded=True,
    ),
    _p(
        "connectivity",
        None,
        "Connectivity matrices of each image and ROI set, from the cleaned "
        "table's kept volumes (censored and discarded ones out), as nilearn's "
        "ConnectivityMeasure kinds: "
        + ", ".join(CONNECTIVITY_KINDS)
        + " (the command also reads partial_correlation). Each is written as "
        "<stem>_<kind>_relmat.tsv (kind without spaces) with a JSON sidecar. "
        "'tangent' is relative to the batch's geometric mean, so it needs two "
        "or more images. Default: none.",
        coerce=as_kinds(CONNECTIVITY_KINDS),
        annotation="tuple[str, ...] | None",
        many=True,
        metavar="KIND",
    ),
    _p(
        "connectivity_estimator",
        "empirical",
        "How connectivity estimates each covariance: 'empirical' (the plain "
        "estimate; its correlation is Pearson's, as XCP-D) or 'ledoitwolf' "
        "(shrunk, nilearn's default).",
        coerce=as_choice(CONNECTIVITY_ESTIMATORS),
        annotation="str",
        choices=CONNECTIVITY_ESTIMATORS,
    ),
    _p(
        "fisher_z",
        False,
        "Write correlation and partial correlation matrices Fisher z-transformed "
        "(arctanh; the diagonal is n/a).",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
    ),
    _p(
        "report",
        True,
        "Write OUTPUT_DIR/report.html: the parameters, the regions drawn on the "
        "mean image, and each image's timeseries (carpet plot, a few regions, "
        "correlation matrix). Nothing is written without an output folder.",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        metavar="{true,false}",
        run_only=True,
    ),
    _p(
        "surf_mesh",
        None,
        "The report only: a GIFTI mesh (.surf.gii) to draw a surface run's atlas "
        "on, e.g. fsLR 32k's inflated or midthickness surface; one hemisphere's "
        "file brings the other (hemi-L/hemi-R, lh./rh., .L./.R.). Without it, "
        "runs on fsaverage5 are drawn on nilearn's fsaverage5 inflated mesh and "
        "other meshes are not drawn.",
        coerce=as_path,
        annotation="str | None",
        metavar="FILE",
        run_only=True,
    ),
    _p(
        "n_jobs",
        1,
        "Number of images processed in parallel.",
        coerce=as_n_jobs,
        annotation="int",
        word=int,
        run_only=True,
    ),
    _p(
        "overwrite",
        False,
        "Redo every image. By default an image whose outputs in OUTPUT_DIR are "
        "complete and were made from the same inputs and settings (their "
        "fingerprint, in the JSON sidecar) is skipped, so a killed batch resumes. "
        "It also lets the batch replace files with its outputs' names that no "
        "niimasker run wrote (refused otherwise).",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
        run_only=True,
    ),
    _p(
        "shard",
        None,
        "Process only part of the images: 'i/N' takes every N-th image starting "
        "at the i-th (1-based, natural order), e.g. --shard "
        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT in a SLURM job array. The "
        "report is left to one run without 'shard', which skips finished images.",
        coerce=as_shard,
        annotation="str | None",
        metavar="i/N",
        run_only=True,
    ),
    _p(
        "dask_scheduler",
        None,
        "Run each image as a task on a Dask cluster: a scheduler address such as "
        "'tcp://host:8786', or 'local' for a LocalCluster of n_jobs workers "
        "(Python: also a dask.distributed.Client). Needs the 'dask' extra "
        "(pip install 'niimasker[dask]'); workers write the outputs, so they "
        "must see OUTPUT_DIR.",
        coerce=as_scheduler,
        annotation="str | Any | None",
        metavar="ADDRESS",
        run_only=True,
    ),
    _p(
        "dask_timeout",
        10.0,
        "Seconds to wait for the Dask scheduler given in dask_scheduler to answer "
        "before giving up with an error.",
        coerce=as_number,
        annotation="float",
        word=float,
        metavar="SECONDS",
        run_only=True,
    ),
    _p(
        "max_memory",
        None,
        "Memory budget, e.g. '8GB' or '500MB' (a bare number is bytes). Before "
        "reading, each file's header says how big its data are: a run streamed "
        "needs one volume in memory, an atlas or mask is read whole; a file "
        "claiming more than the budget is refused, as are voxel outputs larger "
        "than the output folder's free space. Default: half the machine's memory.",
        coerce=as_size,
        annotation="int | None",
        metavar="SIZE",
        run_only=True,
    ),
    _p(
        "verbose",
        False,
        "Print one line per image (done, skipped or failed, with its time).",
        coerce=as_bool,
        annotation="bool",
        word=true_or_false,
        bare=True,
        run_only=True,
    ),
)


PARAMETER_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
