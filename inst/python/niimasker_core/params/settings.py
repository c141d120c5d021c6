"""One validated, immutable set of parameters for a run: :class:`Settings`.

:func:`make_settings` turns loose user values (keywords, a config, the
command's flags) into one frozen :class:`Settings`, coercing and checking
each value with its declaration (:data:`~niimasker_core.params.declarations.PARAMETERS`),
then the values that must agree with each other. Checks that need the data
(confound rows, a TR from a sidecar) happen where the data are read.

:class:`Settings` is written out so that readers and type checkers see its
fields; ``tests/python/params/test_settings.py`` keeps its fields, their
order and their types equal to the declarations. Only the batch reads a
whole ``Settings``: the rooms below it take the small option objects of
:mod:`niimasker_core.params.options`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SettingsError
from ..io.templateflow import PREFIX, is_template_atlas, resolve_template_atlas
from .declarations import CONFIG_ALIASES, PARAMETER_NAMES, PARAMETERS
from .vocabulary import standardize_method, suggest

__all__ = [
    "Settings",
    "canonical_key",
    "make_settings",
    "unknown_names_message",
]

_BY_NAME = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class Settings:
    """One validated, immutable set of parameters for a run.

    Build it with :func:`make_settings`, never directly: the constructor does
    not validate. One field per entry of
    :data:`~niimasker_core.params.declarations.PARAMETERS`, in that order,
    with the declared type; their meaning and defaults are in the
    declarations (``niimasker -h``, ``help(niimasker_core.extract_timeseries)``).
    """

    input_files: tuple[str, ...] | None
    roi_file: str | tuple[str, ...] | None
    output_dir: str | None
    mask_img: str | dict[str, str | None] | None
    labels: tuple[str, ...] | str | dict[str, tuple[str, ...] | str | None] | None
    regressor_files: tuple[str, ...] | None
    regressors: tuple[str, ...] | None
    as_voxels: bool
    radius: float | None
    allow_overlap: bool | None
    strategy: str
    data_dir: str | None
    standardize: bool | str
    standardize_confounds: bool
    t_r: float | None
    high_pass: float | None
    low_pass: float | None
    detrend: bool
    smoothing_fwhm: float | None
    mask_strategy: str
    mask_args: dict | None
    target_affine: float | tuple | None
    target_shape: tuple[int, int, int] | None
    runs: tuple | None
    high_variance_confounds: bool
    dtype: str | None
    output_format: str | None
    output_layout: str
    min_coverage: float | None
    discard_scans: int | str
    nan_policy: str
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
    output_volumes: str
    connectivity: tuple[str, ...] | None
    connectivity_estimator: str
    fisher_z: bool
    report: bool
    surf_mesh: str | None
    n_jobs: int
    overwrite: bool
    shard: str | None
    dask_scheduler: str | Any | None
    dask_timeout: float
    max_memory: int | None
    verbose: bool

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter as JSON-ready plain types."""
        return {name: _plain(getattr(self, name)) for name in PARAMETER_NAMES}

    def fingerprinted(self) -> dict[str, Any]:
        """Return the parameters that can change an output (all but ``run_only``)."""
        # only these converted: the input list (run_only) can be 10,000 files
        return {
            p.name: _plain(getattr(self, p.name)) for p in PARAMETERS if not p.run_only
        }

    def recorded(self) -> dict[str, Any]:
        """Return the parameters that change the numbers (the sidecar's block)."""
        return {p.name: _plain(getattr(self, p.name)) for p in PARAMETERS if p.recorded}

    @property
    def standardize_method(self) -> str | None:
        """The standardization as a cleaning method (``True`` means ``'zscore'``)."""
        return standardize_method(self.standardize)


def _plain(value: Any) -> Any:
    """Return tuples as lists, also inside a mapping (values per ROI set)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


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
    _resolve_template_atlases(resolved)
    settings = Settings(**resolved)
    _check_together(settings)
    return settings


def _resolve_template_atlases(values: dict[str, Any]) -> None:
    """Replace ``tpl:`` atlases by their files; their regions table names the regions.

    A set given no ``labels`` takes its TemplateFlow ``_dseg.tsv``; several
    sets are named (``name=path``) by the atlas when not named.
    """
    roi_file = values.get("roi_file")
    entries = [roi_file] if isinstance(roi_file, str) else list(roi_file or ())
    if not any(is_template_atlas(e.partition("=")[2] or e) for e in entries):
        return
    several = len(entries) > 1
    labels = values.get("labels")
    tables: dict[str, str] = {}
    resolved = []
    for entry in entries:
        name, sep, spec = entry.partition("=")
        if not sep:
            name, spec = "", entry
        if not is_template_atlas(spec):
            resolved.append(entry)
            continue
        found = resolve_template_atlas(spec)
        name = name or (spec[len(PREFIX) :].split("/") + [""])[1]
        resolved.append(f"{name}={found.image}" if several or sep else found.image)
        if found.table is not None:
            tables[name] = found.table
    values["roi_file"] = tuple(resolved) if several else resolved[0]
    if not several and labels is None and tables:
        values["labels"] = next(iter(tables.values()))
    elif several and (labels is None or isinstance(labels, dict)):
        merged = {**tables, **(labels or {})}
        values["labels"] = merged or None


def _check_target(s: Settings) -> None:
    """``target_shape`` needs a 4x4 ``target_affine``: its corner anchors the grid."""
    affine = s.target_affine
    if s.target_shape is not None and (affine is None or not _is_4x4(affine)):
        raise SettingsError(
            "{parameter} needs a 4x4 {--target_affine} (whose last column places "
            "the grid). Got {parameter:bare}={value}, {--target_affine:bare}={affine}.",
            parameter="target_shape",
            value=list(s.target_shape),
            affine=_plain(affine),
            fix="Give a 4x4 {--target_affine} with it, or drop {parameter}.",
        )


def _is_4x4(affine: Any) -> bool:
    return isinstance(affine, tuple) and len(affine) == 4


def _check_together(s: Settings) -> None:
    for name in ("labels", "mask_img"):
        if isinstance(getattr(s, name), dict) and s.roi_file is None:
            raise SettingsError(
                "{parameter} is given per ROI set, but there is no {--roi_file}. "
                "Got {parameter:bare}={value}.",
                parameter=name,
                value=getattr(s, name),
                fix="Give the ROI sets in {--roi_file}, or one {parameter} without set names.",
            )
    if s.high_pass is not None and s.low_pass is not None and s.high_pass >= s.low_pass:
        raise SettingsError(
            "{--high_pass} must be lower than {--low_pass}. "
            "Got {--high_pass:bare}={high_pass}, {--low_pass:bare}={low_pass}.",
            parameter="high_pass",
            value=s.high_pass,
            high_pass=s.high_pass,
            low_pass=s.low_pass,
        )
    _check_target(s)
    if s.t_r is not None:
        nyquist = 0.5 / s.t_r
        for name in ("high_pass", "low_pass"):
            cutoff = getattr(s, name)
            if cutoff is not None and cutoff >= nyquist:
                raise SettingsError(
                    "{parameter} must be below the Nyquist frequency {nyquist:g} Hz "
                    "(0.5 / {--t_r:bare}). Got {parameter:bare}={value}, "
                    "{--t_r:bare}={t_r}.",
                    parameter=name,
                    value=cutoff,
                    nyquist=nyquist,
                    t_r=s.t_r,
                )
