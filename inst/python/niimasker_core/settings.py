"""Every parameter of niimasker: its name, default, help text and validation.

This module is the single source of truth for parameters. The command builds
its flags from :data:`PARAMETERS`, the JSON config uses the same keys, the
Python API takes them as keywords and the R package as arguments.
:func:`make_settings` turns loose user values into one frozen
:class:`Settings`, checking each value's type and meaning; checks that need
the data (confound rows, TR from a sidecar) happen where the data is read.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .errors import SettingsError

__all__ = [
    "COMPCOR_TYPES",
    "CONFIG_ALIASES",
    "CONFOUND_MODELS",
    "ICA_AROMA_TYPES",
    "NAN_POLICIES",
    "PARAMETERS",
    "REDUCTION_STRATEGIES",
    "STANDARDIZE_CHOICES",
    "Parameter",
    "Settings",
    "make_settings",
]

STANDARDIZE_CHOICES = ("zscore", "zscore_sample", "psc")
REDUCTION_STRATEGIES = (
    "mean",
    "median",
    "sum",
    "minimum",
    "maximum",
    "variance",
    "standard_deviation",
)
OUTPUT_VOLUMES = ("censored", "interpolated")
#: What to do with NaN or infinite voxels inside the ROI.
NAN_POLICIES = ("error", "zero", "omit")
#: nilearn's expansions of motion, WM/CSF and global signal regressors.
CONFOUND_MODELS = ("basic", "power2", "derivatives", "full")
#: nilearn's CompCor variants.
COMPCOR_TYPES = (
    "anat_combined",
    "anat_separated",
    "temporal",
    "temporal_anat_combined",
    "temporal_anat_separated",
)
ICA_AROMA_TYPES = ("full", "basic")

#: Old or alternative config keys and the parameter they stand for.
CONFIG_ALIASES = {"sphere_size": "radius", "regressor_names": "regressors"}


@dataclass(frozen=True)
class Parameter:
    """One user-facing parameter: its name, default and help text."""

    name: str
    default: Any
    help: str
    metavar: str | None = None


def _p(name: str, default: Any, help: str, metavar: str | None = None) -> Parameter:
    return Parameter(name, default, help, metavar)


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "input_files",
        (),
        "One or more 4D NIfTI images, or one quoted wildcard pattern such as "
        "'fmriprep/sub-*/func/*preproc_bold.nii.gz'. Files are naturally sorted. "
        "A 3D image (beta map, VBM, mean image) gives one row.",
        "input_files",
    ),
    _p(
        "roi_file",
        None,
        "The regions: a labelled atlas NIfTI (integer labels, 0 = background), a "
        "binary mask of one region, a 4D probabilistic atlas (one map per region), "
        "a .tsv/.csv of x, y, z coordinates for spheres, or a nilearn atlas query "
        "such as 'nilearn:schaefer:400-17-2'.",
        "roi_file",
    ),
    _p(
        "mask_img",
        None,
        "A binary NIfTI mask restricting an atlas or spheres to the voxels inside "
        "it (for example a grey-matter mask). Ignored, with a warning, for a "
        "single-region mask.",
        "mask_img",
    ),
    _p(
        "labels",
        None,
        "Region names in ascending label order: a list of names, or a .tsv with a "
        "'Labels'/'Label' column or BIDS 'index' and 'name' columns. A leading "
        "background name is dropped. Default: the numeric labels.",
        "labels",
    ),
    _p(
        "regressor_files",
        None,
        "Confound tables (TSV/CSV with a header, or headerless numbers such as SPM "
        "rp_*.txt, FSL .par, AFNI .1D), one per input image, or one "
        "quoted wildcard pattern. fMRIPrep files are paired with images by their "
        "BIDS entities; other files by sorted order.",
        "regressor_files",
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
        "regressors",
    ),
    _p(
        "as_voxels",
        False,
        "Extract every voxel of the ROI instead of each region's mean.",
    ),
    _p(
        "radius",
        None,
        "Sphere radius in mm around each coordinate of a coordinates roi_file. "
        "Default: the single voxel at each coordinate, as nilearn does.",
        "radius",
    ),
    _p(
        "allow_overlap",
        None,
        "Allow regions that share voxels: overlapping spheres (an error otherwise) "
        "or overlapping probabilistic maps. Default: nilearn's, false for spheres "
        "and true for 4D maps (which usually overlap).",
    ),
    _p(
        "strategy",
        "mean",
        "How voxels of a region are summarised: "
        + ", ".join(REDUCTION_STRATEGIES)
        + ".",
        "strategy",
    ),
    _p(
        "data_dir",
        None,
        "Folder where nilearn keeps the atlases of 'nilearn:' queries (downloaded "
        "there the first time). Default: $NILEARN_DATA, else ~/nilearn_data.",
        "data_dir",
    ),
    _p(
        "standardize",
        False,
        "Standardize each timeseries: 'zscore' (population std, ddof 0; what a bare "
        "--standardize means), 'zscore_sample' (sample std, ddof 1) or 'psc' "
        "(percent signal change).",
        "standardize",
    ),
    _p(
        "standardize_confounds",
        True,
        "Z-score confounds before regressing them out (nilearn's default).",
    ),
    _p(
        "t_r",
        None,
        "Repetition time in seconds (e.g. 0.72). Needed for filtering. Default: "
        "RepetitionTime from the image's BIDS JSON sidecar, then the NIfTI header.",
        "t_r",
    ),
    _p("high_pass", None, "High-pass cut-off in Hz (e.g. 0.01).", "high_pass"),
    _p("low_pass", None, "Low-pass cut-off in Hz (e.g. 0.1).", "low_pass"),
    _p("detrend", False, "Remove a linear trend from each timeseries."),
    _p(
        "smoothing_fwhm",
        None,
        "Spatial smoothing kernel FWHM in mm, applied to each volume before "
        "extraction.",
        "smoothing_fwhm",
    ),
    _p(
        "discard_scans",
        0,
        "Drop the first N volumes of each image (and the same confound rows) before "
        "anything else, or 'auto': the leading volumes its confounds file flags as "
        "non-steady-state (fMRIPrep's non_steady_state_outlier* columns; XCP-D's "
        "convention; 0 without a confounds file).",
        "discard_scans",
    ),
    _p(
        "nan_policy",
        "error",
        "NaN or infinite voxels inside the ROI: 'error' stops with the volume "
        "named; 'zero' counts them as 0 (nilearn's behaviour); 'omit' computes "
        "each region's statistic over its finite voxels of each volume (their "
        "smallest count per region is in the coverage table).",
        "nan_policy",
    ),
    _p(
        "motion",
        None,
        "With a nilearn strategy or component list: motion regressors, one of "
        + ", ".join(CONFOUND_MODELS)
        + ". Default: the strategy's (nilearn: full).",
        "motion",
    ),
    _p(
        "wm_csf",
        None,
        "With a nilearn strategy or component list: white matter and CSF "
        "regressors, one of " + ", ".join(CONFOUND_MODELS) + ". Default: the "
        "strategy's (nilearn: basic).",
        "wm_csf",
    ),
    _p(
        "global_signal",
        None,
        "With a nilearn strategy or component list: global signal regressors, one "
        "of " + ", ".join(CONFOUND_MODELS) + ". With 'simple', 'scrubbing' or "
        "'ica_aroma' this adds the global signal, as nilearn does. Default: none.",
        "global_signal",
    ),
    _p(
        "scrub",
        None,
        "Scrubbing: after censoring high-motion volumes, also censor kept segments "
        "shorter than this many volumes (0: only the high-motion volumes). "
        "Default: the strategy's (nilearn: 5).",
        "scrub",
    ),
    _p(
        "fd_threshold",
        None,
        "Scrubbing: censor volumes whose framewise displacement exceeds this many "
        "mm. Default: the strategy's ('scrubbing' 0.5, Scrub presets 0.2). With "
        "column-name regressors, giving it turns scrubbing on.",
        "fd_threshold",
    ),
    _p(
        "std_dvars_threshold",
        None,
        "Scrubbing: censor volumes whose standardized DVARS exceeds this value. "
        "Default: the strategy's ('scrubbing' 1.5, Scrub presets 3). With "
        "column-name regressors, giving it turns scrubbing on.",
        "std_dvars_threshold",
    ),
    _p(
        "compcor",
        None,
        "With the 'compcor' strategy or component: which CompCor components, one "
        "of " + ", ".join(COMPCOR_TYPES) + " (read from the confounds file's JSON "
        "sidecar). Default: the strategy's (nilearn: anat_combined).",
        "compcor",
    ),
    _p(
        "n_compcor",
        None,
        "Number of CompCor components to keep (per mask when separated), or 'all'. "
        "Default: all.",
        "n_compcor",
    ),
    _p(
        "ica_aroma",
        None,
        "With the 'ica_aroma' component: 'full' (the image is fMRIPrep's "
        "desc-smoothAROMAnonaggr_bold, no AROMA regressors) or 'basic' (regress "
        "the aroma_motion_* columns). The 'ica_aroma' strategy always uses 'full'.",
        "ica_aroma",
    ),
    _p(
        "demean",
        True,
        "With a preset, strategy or component list: demean the confounds over the "
        "kept volumes before cleaning (nilearn's load_confounds default; no effect "
        "on the result when standardize_confounds is true). Column names are "
        "regressed as given, never demeaned.",
    ),
    _p(
        "output_volumes",
        "censored",
        "With scrubbing: 'censored' writes only the kept volumes; 'interpolated' "
        "writes every volume, censored ones interpolated and marked.",
        "output_volumes",
    ),
    _p(
        "report",
        True,
        "Write OUTPUT_DIR/report.html: the parameters, the regions drawn on the "
        "mean image, and each image's timeseries (carpet plot, a few regions, "
        "correlation matrix). Nothing is written without an output folder.",
    ),
    _p("n_jobs", 1, "Number of images processed in parallel.", "n_jobs"),
)

_DEFAULTS = {p.name: p.default for p in PARAMETERS}


@dataclass(frozen=True)
class Settings:
    """One validated, immutable set of parameters for a run.

    Build it with :func:`make_settings`, never directly: the constructor does
    not validate. Field meanings are in :data:`PARAMETERS`.
    """

    input_files: tuple[str, ...] = ()
    roi_file: str | None = None
    mask_img: str | None = None
    labels: tuple[str, ...] | str | None = None
    regressor_files: tuple[str, ...] | None = None
    regressors: tuple[str, ...] | None = None
    as_voxels: bool = False
    radius: float | None = None
    allow_overlap: bool | None = None
    strategy: str = "mean"
    data_dir: str | None = None
    standardize: bool | str = False
    standardize_confounds: bool = True
    t_r: float | None = None
    high_pass: float | None = None
    low_pass: float | None = None
    detrend: bool = False
    smoothing_fwhm: float | None = None
    discard_scans: int | str = 0
    nan_policy: str = "error"
    motion: str | None = None
    wm_csf: str | None = None
    global_signal: str | None = None
    scrub: int | None = None
    fd_threshold: float | None = None
    std_dvars_threshold: float | None = None
    compcor: str | None = None
    n_compcor: int | str | None = None
    ica_aroma: str | None = None
    demean: bool = True
    output_volumes: str = "censored"
    report: bool = True
    n_jobs: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter as JSON-ready plain types."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    @property
    def standardize_method(self) -> str | None:
        """The standardization as one of :data:`STANDARDIZE_CHOICES` or None."""
        if self.standardize is True:
            return "zscore"
        return self.standardize or None


# --- coercion of single values ------------------------------------------------


def _fail(name: str, value: Any, expected: str) -> SettingsError:
    return SettingsError(f"'{name}' must be {expected}. Got {name}={value!r}.")


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(name, value, "true or false")


def _as_number(name: str, value: Any, *, positive: bool = True) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(name, value, "a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(name, value, "a number") from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise _fail(name, value, "a positive number")
    return number


def _as_nonnegative(name: str, value: Any) -> float | None:
    number = _as_number(name, value, positive=False)
    if number is not None and number < 0:
        raise _fail(name, value, "a number >= 0")
    return number


def _as_count(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise _fail(name, value, f"a whole number >= {minimum}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or value < minimum:
        raise _fail(name, value, f"a whole number >= {minimum}")
    return value


def _as_path(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        value = str(value) if hasattr(value, "__fspath__") else value
    if not isinstance(value, str):
        raise _fail(name, value, "one file path")
    return value


def _as_strings(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        value = [value]
    if not isinstance(value, Iterable):
        raise _fail(name, value, "a string or a list of strings")
    items = tuple(str(v) if hasattr(v, "__fspath__") else v for v in value)
    if not all(isinstance(v, str) and v != "" for v in items):
        raise _fail(name, value, "a list of non-empty strings")
    return items or None


def _as_labels(name: str, value: Any) -> tuple[str, ...] | str | None:
    if value is None:
        return None
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        text = str(value)
        if text.lower().endswith((".tsv", ".csv", ".txt")):
            return text
        return (text,)
    if isinstance(value, Iterable):
        items = tuple(str(v) for v in value)
        if len(items) == 1 and items[0].lower().endswith((".tsv", ".csv", ".txt")):
            return items[0]
        return items or None
    raise _fail(name, value, "a list of names or a .tsv file path")


def _as_standardize(name: str, value: Any) -> bool | str:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered in STANDARDIZE_CHOICES:
            return lowered
    raise _fail(
        name, value, "false, true, " + ", ".join(f"'{c}'" for c in STANDARDIZE_CHOICES)
    )


def _as_choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def coerce(name: str, value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _fail(name, value, "one of " + ", ".join(f"'{c}'" for c in choices))

    return coerce


def _as_optional_choice(choices: tuple[str, ...]) -> Callable[[str, Any], str | None]:
    coerce = _as_choice(choices)
    return lambda name, value: None if value is None else coerce(name, value)


def _as_n_compcor(name: str, value: Any) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.lower() == "all":
        return "all"
    try:
        return _as_count(name, value, minimum=1)
    except SettingsError:
        raise _fail(name, value, "'all' or a whole number >= 1") from None


def _as_discard_scans(name: str, value: Any) -> int | str:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return _as_count(name, value, minimum=0)
    except SettingsError:
        raise _fail(name, value, "a whole number >= 0 or 'auto'") from None


_COERCE: dict[str, Callable[[str, Any], Any]] = {
    "input_files": lambda n, v: _as_strings(n, v) or (),
    "roi_file": _as_path,
    "mask_img": _as_path,
    "data_dir": _as_path,
    "labels": _as_labels,
    "regressor_files": _as_strings,
    "regressors": _as_strings,
    "as_voxels": _as_bool,
    "radius": _as_nonnegative,
    "allow_overlap": lambda n, v: None if v is None else _as_bool(n, v),
    "strategy": _as_choice(REDUCTION_STRATEGIES),
    "standardize": _as_standardize,
    "standardize_confounds": _as_bool,
    "t_r": _as_number,
    "high_pass": _as_number,
    "low_pass": _as_number,
    "detrend": _as_bool,
    "smoothing_fwhm": _as_nonnegative,
    "discard_scans": _as_discard_scans,
    "nan_policy": _as_choice(NAN_POLICIES),
    "motion": _as_optional_choice(CONFOUND_MODELS),
    "wm_csf": _as_optional_choice(CONFOUND_MODELS),
    "global_signal": _as_optional_choice(CONFOUND_MODELS),
    "scrub": lambda n, v: None if v is None else _as_count(n, v, minimum=0),
    "fd_threshold": _as_number,
    "std_dvars_threshold": _as_number,
    "compcor": _as_optional_choice(COMPCOR_TYPES),
    "n_compcor": _as_n_compcor,
    "ica_aroma": _as_optional_choice(ICA_AROMA_TYPES),
    "demean": _as_bool,
    "output_volumes": _as_choice(OUTPUT_VOLUMES),
    "report": _as_bool,
    "n_jobs": lambda n, v: _as_count(n, v, minimum=-1) or 1,  # 0 means serial
}


def canonical_key(key: str) -> str:
    """Return the parameter name a config or keyword ``key`` stands for.

    Parameters
    ----------
    key : str
        A parameter name or one of :data:`CONFIG_ALIASES`.

    Returns
    -------
    str
        The canonical parameter name.
    """
    if key == "regressor_names":
        warnings.warn(
            "'regressor_names' is deprecated and will be removed; use 'regressors'.",
            FutureWarning,
            stacklevel=3,
        )
    return CONFIG_ALIASES.get(key, key)


def make_settings(values: Mapping[str, Any] | None = None, **kwargs: Any) -> Settings:
    """Validate user values and return one frozen :class:`Settings`.

    Parameters
    ----------
    values : mapping, optional
        Parameter values by name (config aliases such as ``sphere_size`` are
        accepted). Keys absent or ``None`` take their default.
    **kwargs
        More values, overriding ``values``.

    Returns
    -------
    Settings
        The validated settings.

    Raises
    ------
    SettingsError
        If a key is unknown or a value has the wrong type or meaning.
    """
    merged: dict[str, Any] = {}
    for source in (values or {}, kwargs):
        for key, value in source.items():
            merged[canonical_key(key)] = value
    unknown = sorted(set(merged) - set(_DEFAULTS))
    if unknown:
        raise SettingsError(
            f"Unknown parameter(s): {', '.join(unknown)}. "
            f"Valid names are: {', '.join(sorted(_DEFAULTS))}."
        )
    resolved = {}
    for name, default in _DEFAULTS.items():
        value = merged.get(name)
        resolved[name] = _COERCE[name](name, default if value is None else value)
    settings = Settings(**resolved)
    _check_together(settings)
    return settings


def _check_together(s: Settings) -> None:
    if s.high_pass is not None and s.low_pass is not None and s.high_pass >= s.low_pass:
        raise SettingsError(
            "'high_pass' must be lower than 'low_pass'. "
            f"Got high_pass={s.high_pass}, low_pass={s.low_pass}."
        )
    if s.t_r is not None:
        nyquist = 0.5 / s.t_r
        for name in ("high_pass", "low_pass"):
            cutoff = getattr(s, name)
            if cutoff is not None and cutoff >= nyquist:
                raise SettingsError(
                    f"'{name}' must be below the Nyquist frequency {nyquist:g} Hz "
                    f"(0.5 / t_r). Got {name}={cutoff}, t_r={s.t_r}."
                )
