"""Every parameter of niimasker: its name, default, help text and validation.

This module is the single source of truth for parameters. The command builds
its flags from :data:`PARAMETERS`, the JSON config uses the same keys, the
Python API takes them as keywords and the R package as arguments.
:func:`make_settings` turns loose user values into one frozen
:class:`Settings`, checking each value's type and meaning; checks that need
the data (confound rows, TR from a sidecar) happen where the data is read.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from .errors import SettingsError

__all__ = [
    "COMPCOR_TYPES",
    "CONFIG_ALIASES",
    "CONFOUND_MODELS",
    "ICA_AROMA_TYPES",
    "PARAMETERS",
    "PARAMETER_NAMES",
    "REDUCTION_STRATEGIES",
    "STANDARDIZE_CHOICES",
    "Parameter",
    "Settings",
    "OUTPUT_VOLUMES",
    "canonical_key",
    "make_settings",
    "standardize_word",
    "suggest",
    "true_or_false",
    "unknown_names_message",
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
    """

    name: str
    default: Any
    help: str
    coerce: Callable[[str, Any], Any]
    annotation: str
    choices: tuple[str, ...] = ()
    short: str | None = None
    many: bool = False
    word: Callable[[str], Any] | None = None
    bare: bool = False
    metavar: str | None = None
    positional: bool = False
    command: str = "option"
    recorded: bool = False


def _p(name: str, default: Any, help: str, **faces: Any) -> Parameter:
    return Parameter(name, default, help, **faces)


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


def true_or_false(text: str) -> bool:
    """Return the boolean a command-line word spells (``true``/``false``, any case).

    Raises
    ------
    ValueError
        For any other word.
    """
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return lowered == "true"


def standardize_word(text: str) -> bool | str:
    """Return the ``standardize`` value a command-line word spells.

    Raises
    ------
    ValueError
        For a word that is neither a boolean nor a method.
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in STANDARDIZE_CHOICES:
        return lowered
    raise ValueError(
        f"expected true, false, {', '.join(STANDARDIZE_CHOICES)}; got {text!r}"
    )


def _as_files(name: str, value: Any) -> tuple[str, ...]:
    return _as_strings(name, value) or ()


def _as_optional_bool(name: str, value: Any) -> bool | None:
    return None if value is None else _as_bool(name, value)


def _as_discard_scans(name: str, value: Any) -> int:
    return _as_count(name, value, minimum=0)


def _as_optional_count(name: str, value: Any) -> int | None:
    return None if value is None else _as_count(name, value, minimum=0)


def _as_n_jobs(name: str, value: Any) -> int:
    return _as_count(name, value, minimum=-1) or 1  # 0 means serial


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "input_files",
        (),
        "One or more 4D NIfTI images, or one quoted wildcard pattern such as "
        "'fmriprep/sub-*/func/*preproc_bold.nii.gz'. Files are naturally sorted.",
        coerce=_as_files,
        annotation="tuple[str, ...]",
        short="-i",
        many=True,
        positional=True,
    ),
    _p(
        "roi_file",
        None,
        "The regions: a labelled atlas NIfTI (integer labels, 0 = background), a "
        "binary mask of one region, a 4D probabilistic atlas (one map per region), "
        "a .tsv/.csv of x, y, z coordinates for spheres, or a nilearn atlas query "
        "such as 'nilearn:schaefer:400-17-2'.",
        coerce=_as_path,
        annotation="str | None",
        short="-r",
        positional=True,
    ),
    _p(
        "output_dir",
        None,
        "The folder where outputs are written (the command's first argument, or "
        "--output_dir). Without it the Python and R interfaces write nothing.",
        coerce=_as_path,
        annotation="str | None",
        positional=True,
        command="positional",
    ),
    _p(
        "mask_img",
        None,
        "A binary NIfTI mask restricting an atlas or spheres to the voxels inside "
        "it (for example a grey-matter mask). Ignored, with a warning, for a "
        "single-region mask.",
        coerce=_as_path,
        annotation="str | None",
        short="-m",
        recorded=True,
    ),
    _p(
        "labels",
        None,
        "Region names in ascending label order: a list of names, or a .tsv with a "
        "'Labels'/'Label' column or BIDS 'index' and 'name' columns. A leading "
        "background name is dropped. Default: the numeric labels.",
        coerce=_as_labels,
        annotation="tuple[str, ...] | str | None",
        many=True,
    ),
    _p(
        "regressor_files",
        None,
        "Confound tables (TSV/CSV with a header), one per input image, or one "
        "quoted wildcard pattern. fMRIPrep files are paired with images by their "
        "BIDS entities; other files by sorted order.",
        coerce=_as_strings,
        annotation="tuple[str, ...] | None",
        many=True,
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
        coerce=_as_strings,
        annotation="tuple[str, ...] | None",
        many=True,
        recorded=True,
    ),
    _p(
        "as_voxels",
        False,
        "Extract every voxel of the ROI instead of each region's mean.",
        coerce=_as_bool,
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
        coerce=_as_nonnegative,
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
        coerce=_as_optional_bool,
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
        coerce=_as_choice(REDUCTION_STRATEGIES),
        annotation="str",
        choices=REDUCTION_STRATEGIES,
        recorded=True,
    ),
    _p(
        "data_dir",
        None,
        "Folder where nilearn keeps the atlases of 'nilearn:' queries (downloaded "
        "there the first time). Default: $NILEARN_DATA, else ~/nilearn_data.",
        coerce=_as_path,
        annotation="str | None",
    ),
    _p(
        "standardize",
        False,
        "Standardize each timeseries: 'zscore' (population std, ddof 0; what a bare "
        "--standardize means), 'zscore_sample' (sample std, ddof 1) or 'psc' "
        "(percent signal change).",
        coerce=_as_standardize,
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
        coerce=_as_bool,
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
        coerce=_as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "high_pass",
        None,
        "High-pass cut-off in Hz (e.g. 0.01).",
        coerce=_as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "low_pass",
        None,
        "Low-pass cut-off in Hz (e.g. 0.1).",
        coerce=_as_number,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "detrend",
        False,
        "Remove a linear trend from each timeseries.",
        coerce=_as_bool,
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
        coerce=_as_nonnegative,
        annotation="float | None",
        word=float,
        recorded=True,
    ),
    _p(
        "discard_scans",
        0,
        "Drop the first N volumes of each image (and the same confound rows) before "
        "anything else.",
        coerce=_as_discard_scans,
        annotation="int",
        word=int,
        recorded=True,
    ),
    _p(
        "motion",
        None,
        "With a nilearn strategy or component list: motion regressors, one of "
        + ", ".join(CONFOUND_MODELS)
        + ". Default: the strategy's (nilearn: full).",
        coerce=_as_optional_choice(CONFOUND_MODELS),
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
        coerce=_as_optional_choice(CONFOUND_MODELS),
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
        coerce=_as_optional_choice(CONFOUND_MODELS),
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
        coerce=_as_optional_count,
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
        coerce=_as_number,
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
        coerce=_as_number,
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
        coerce=_as_optional_choice(COMPCOR_TYPES),
        annotation="str | None",
        choices=COMPCOR_TYPES,
        recorded=True,
    ),
    _p(
        "n_compcor",
        None,
        "Number of CompCor components to keep (per mask when separated), or 'all'. "
        "Default: all.",
        coerce=_as_n_compcor,
        annotation="int | str | None",
        recorded=True,
    ),
    _p(
        "ica_aroma",
        None,
        "With the 'ica_aroma' component: 'full' (the image is fMRIPrep's "
        "desc-smoothAROMAnonaggr_bold, no AROMA regressors) or 'basic' (regress "
        "the aroma_motion_* columns). The 'ica_aroma' strategy always uses 'full'.",
        coerce=_as_optional_choice(ICA_AROMA_TYPES),
        annotation="str | None",
        choices=ICA_AROMA_TYPES,
        recorded=True,
    ),
    _p(
        "demean",
        True,
        "Demean the confounds over the kept volumes before cleaning (nilearn's "
        "load_confounds default). No effect on the result when "
        "standardize_confounds is true.",
        coerce=_as_bool,
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
        coerce=_as_choice(OUTPUT_VOLUMES),
        annotation="str",
        choices=OUTPUT_VOLUMES,
        recorded=True,
    ),
    _p(
        "report",
        True,
        "Write OUTPUT_DIR/report.html: the parameters, the regions drawn on the "
        "mean image, and each image's timeseries (carpet plot, a few regions, "
        "correlation matrix). Nothing is written without an output folder.",
        coerce=_as_bool,
        annotation="bool",
        word=true_or_false,
        metavar="{true,false}",
    ),
    _p(
        "n_jobs",
        1,
        "Number of images processed in parallel.",
        coerce=_as_n_jobs,
        annotation="int",
        word=int,
    ),
)


PARAMETER_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
_BY_NAME = {p.name: p for p in PARAMETERS}


def _to_dict(self: Any) -> dict[str, Any]:
    """Return every parameter as JSON-ready plain types."""
    out = {}
    for name in PARAMETER_NAMES:
        value = getattr(self, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _standardize_method(self: Any) -> str | None:
    """Return the standardization as one of :data:`STANDARDIZE_CHOICES` or None."""
    if self.standardize is True:
        return "zscore"
    return self.standardize or None


def _recorded(self: Any) -> dict[str, Any]:
    """Return the parameters that change the numbers (the sidecar's block)."""
    values = self.to_dict()
    return {p.name: values[p.name] for p in PARAMETERS if p.recorded}


#: One validated, immutable set of parameters for a run, one field per
#: :data:`PARAMETERS` entry (built from them). Build it with
#: :func:`make_settings`, never directly: the constructor does not validate.
Settings = make_dataclass(
    "Settings",
    [(p.name, p.annotation, field(default=p.default)) for p in PARAMETERS],
    frozen=True,
    namespace={
        "__doc__": (
            "One validated, immutable set of parameters for a run.\n\n"
            "Build it with :func:`make_settings`, never directly: the constructor "
            "does not validate. One field per entry of :data:`PARAMETERS`."
        ),
        "__module__": __name__,
        "to_dict": _to_dict,
        "recorded": _recorded,
        "standardize_method": property(_standardize_method),
    },
)


def suggest(word: str, names: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest of ``names``, or ``""``.

    Parameters
    ----------
    word : str
        What the user typed.
    names : iterable of str
        The valid names.

    Returns
    -------
    str
        The hint, with a leading space, or an empty string when nothing is close.
    """
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_names_message(unknown: Iterable[str], what: str) -> str:
    """Return one line naming each unknown key with its closest valid name.

    Parameters
    ----------
    unknown : iterable of str
        The keys that are not parameters.
    what : str
        How to name them, e.g. ``"Unknown parameter(s)"``.

    Returns
    -------
    str
        For example ``"Unknown parameter(s): detrnd (did you mean 'detrend'?)."``
    """
    valid = PARAMETER_NAMES + tuple(CONFIG_ALIASES)
    items = [f"{key}{suggest(key, valid)}" for key in sorted(unknown)]
    return f"{what}: {', '.join(items)}. Valid names are listed by 'niimasker -h'."


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
    unknown = set(merged) - set(_BY_NAME)
    if unknown:
        raise SettingsError(unknown_names_message(unknown, "Unknown parameter(s)"))
    resolved = {}
    for param in PARAMETERS:
        value = merged.get(param.name)
        resolved[param.name] = param.coerce(
            param.name, param.default if value is None else value
        )
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
