"""What ``regressors`` asks for, and nilearn's fMRIPrep confound logic on any file.

``regressors`` is one of:

* a preset of the original niimasker (``Params2`` ... ``TempCompCor``, the
  ``Scrub`` variants), defined as :func:`nilearn.interfaces.fmriprep.load_confounds`
  arguments in :data:`PRESETS`, as the ``load_confounds`` package defined them;
* a nilearn strategy (``simple``, ``scrubbing``, ``compcor``, ``ica_aroma``),
  nilearn's own ``preset_strategies`` (:data:`NILEARN_PRESETS`);
* a list of nilearn components (``motion``, ``high_pass``, ``wm_csf``,
  ``global_signal``, ``compcor``, ``ica_aroma``, ``scrub``,
  ``non_steady_state``);
* otherwise column names, with shell wildcards.

nilearn's functions find the confounds file from the image's fMRIPrep name.
To run them on any user-given file, :func:`load_with_nilearn` links the file
(and its JSON sidecar, needed for CompCor) into a private temporary folder
under fMRIPrep names and calls the public ``load_confounds`` there, so that
the columns and the sample mask are exactly nilearn's. Strategies of columns
chosen by name alone (the Params presets without Scrub, nilearn's ``simple``)
are selected by :func:`_select_by_name`, nilearn's steps without importing it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfoundsError, SettingsError
from ..params.options import ConfoundOptions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPONENTS",
    "NILEARN_PRESETS",
    "NILEARN_STRATEGIES",
    "PRESETS",
    "ConfoundSpec",
    "confounds_sidecar_path",
    "load_with_nilearn",
    "resolve_spec",
]

log = logging.getLogger("niimasker")

_SCRUB_DEFAULTS = {"scrub": 5, "fd_threshold": 0.2, "std_dvars_threshold": 3.0}

#: The seed's presets as ``load_confounds`` arguments (the ``load_confounds``
#: package's Params*/CompCor classes; its ``"auto"`` n_compcor is nilearn's ``"all"``).
PRESETS: dict[str, dict[str, Any]] = {
    "Params2": {"strategy": ("high_pass", "wm_csf"), "wm_csf": "basic"},
    "Params6": {"strategy": ("high_pass", "motion"), "motion": "basic"},
    "Params9": {
        "strategy": ("high_pass", "motion", "wm_csf", "global_signal"),
        "motion": "basic",
        "wm_csf": "basic",
        "global_signal": "basic",
    },
    "Params9Scrub": {
        "strategy": ("high_pass", "motion", "wm_csf", "scrub"),
        "motion": "basic",
        "wm_csf": "basic",
        **_SCRUB_DEFAULTS,
    },
    "Params24": {"strategy": ("high_pass", "motion"), "motion": "full"},
    "Params36": {
        "strategy": ("high_pass", "motion", "wm_csf", "global_signal"),
        "motion": "full",
        "wm_csf": "full",
        "global_signal": "full",
    },
    "Params36Scrub": {
        "strategy": ("high_pass", "motion", "wm_csf", "scrub"),
        "motion": "full",
        "wm_csf": "full",
        **_SCRUB_DEFAULTS,
    },
    "AnatCompCor": {
        "strategy": ("high_pass", "motion", "compcor"),
        "motion": "full",
        "compcor": "anat_combined",
        "n_compcor": "all",
    },
    "TempCompCor": {
        "strategy": ("high_pass", "compcor"),
        "compcor": "temporal",
        "n_compcor": "all",
    },
}

#: nilearn 0.14's ``load_confounds_strategy`` presets (its ``preset_strategies``,
#: copied so that choosing one imports no nilearn; a test compares them).
NILEARN_PRESETS: dict[str, dict[str, Any]] = {
    "simple": {
        "strategy": ("high_pass", "motion", "wm_csf"),
        "motion": "full",
        "wm_csf": "basic",
        "global_signal": None,
        "demean": True,
    },
    "scrubbing": {
        "strategy": ("high_pass", "motion", "wm_csf", "scrub"),
        "motion": "full",
        "wm_csf": "full",
        "scrub": 5,
        "fd_threshold": 0.5,
        "std_dvars_threshold": 1.5,
        "global_signal": None,
        "demean": True,
    },
    "compcor": {
        "strategy": ("high_pass", "motion", "compcor"),
        "motion": "full",
        "n_compcor": "all",
        "compcor": "anat_combined",
        "global_signal": None,
        "demean": True,
    },
    "ica_aroma": {
        "strategy": ("high_pass", "wm_csf", "ica_aroma"),
        "wm_csf": "basic",
        "ica_aroma": "full",
        "global_signal": None,
        "demean": True,
    },
}
NILEARN_STRATEGIES = tuple(NILEARN_PRESETS)
COMPONENTS = (
    "motion",
    "high_pass",
    "wm_csf",
    "global_signal",
    "compcor",
    "ica_aroma",
    "scrub",
    "non_steady_state",
)
#: Options of each component (nilearn's COMPONENT_PARAMETERS, without meta_json).
_COMPONENT_OPTIONS = {
    "motion": ("motion",),
    "wm_csf": ("wm_csf",),
    "global_signal": ("global_signal",),
    "compcor": ("compcor", "n_compcor"),
    "ica_aroma": ("ica_aroma",),
    "scrub": ("scrub", "fd_threshold", "std_dvars_threshold"),
}
#: nilearn's load_confounds defaults for options a component list leaves unset.
_NILEARN_DEFAULTS = {
    "motion": "full",
    "wm_csf": "basic",
    "global_signal": "basic",
    "scrub": 5,
    "fd_threshold": 0.5,
    "std_dvars_threshold": 1.5,
    "compcor": "anat_combined",
    "n_compcor": "all",
    "ica_aroma": "full",
}
_OPTIONS = tuple(_NILEARN_DEFAULTS)


@dataclass(frozen=True)
class ConfoundSpec:
    """What ``regressors`` resolved to.

    Attributes
    ----------
    kind : {'all', 'columns', 'preset', 'strategy', 'components'}
        How the confounds are chosen.
    name : str or None
        The preset or strategy name.
    patterns : tuple of str
        Column names or wildcards (kind 'columns').
    nilearn : dict
        ``load_confounds`` keyword arguments (``strategy`` plus options) for
        the named kinds; empty otherwise.
    scrub : dict or None
        Scrubbing thresholds for the column kinds (``fd_threshold``,
        ``std_dvars_threshold``, ``scrub``), None when not scrubbing.
    unused : tuple of str
        Options the user set that this choice does not use.
    """

    kind: str
    name: str | None = None
    patterns: tuple[str, ...] = ()
    nilearn: dict = field(default_factory=dict)
    scrub: dict | None = None
    unused: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for sidecars and parameters.json."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.patterns:
            out["patterns"] = list(self.patterns)
        if self.nilearn:
            out["load_confounds"] = {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in self.nilearn.items()
            }
        if self.scrub is not None:
            out["scrubbing"] = dict(self.scrub)
        return out


def _given_options(options: ConfoundOptions) -> dict[str, Any]:
    return {k: getattr(options, k) for k in _OPTIONS if getattr(options, k) is not None}


def _preset_kwargs(name: str, given: dict[str, Any]) -> tuple[dict, list[str]]:
    params = dict(PRESETS[name])
    unused = []
    for key, value in given.items():
        if key in params:
            params[key] = value
        else:
            unused.append(key)
    return params, unused


def _strategy_kwargs(name: str, given: dict[str, Any]) -> tuple[dict, list[str]]:
    params = {k: v for k, v in NILEARN_PRESETS[name].items() if k != "demean"}
    params["strategy"] = tuple(params["strategy"])
    params.pop("global_signal", None)
    unused = []
    for key, value in given.items():
        if key == "global_signal":  # nilearn adds the global signal when it is given
            params["global_signal"] = value
            params["strategy"] += ("global_signal",)
        elif key in params and key != "ica_aroma":  # nilearn forces full ICA-AROMA
            params[key] = value
        else:
            unused.append(key)
    return params, unused


def _component_kwargs(
    components: tuple[str, ...], given: dict[str, Any]
) -> tuple[dict, list[str]]:
    if "compcor" in components and "high_pass" not in components:
        raise SettingsError(
            f"'regressors' {list(components)} uses 'compcor', which needs 'high_pass' "
            "too (fMRIPrep's CompCor is computed on high-pass filtered data). Add "
            "'high_pass' to 'regressors'."
        )
    params: dict[str, Any] = {"strategy": components}
    wanted = {o for c in components for o in _COMPONENT_OPTIONS.get(c, ())}
    for option in sorted(wanted, key=_OPTIONS.index):
        params[option] = given.get(option, _NILEARN_DEFAULTS[option])
    unused = [k for k in given if k not in wanted]
    return params, unused


def _column_scrub(given: dict[str, Any]) -> dict | None:
    if "fd_threshold" not in given and "std_dvars_threshold" not in given:
        return None
    return {
        "fd_threshold": given.get("fd_threshold"),
        "std_dvars_threshold": given.get("std_dvars_threshold"),
        "scrub": given.get("scrub", _NILEARN_DEFAULTS["scrub"]),
    }


def resolve_spec(options: ConfoundOptions) -> ConfoundSpec:
    """Resolve ``regressors`` and the strategy options to a :class:`ConfoundSpec`.

    Raises
    ------
    SettingsError
        If the combination is invalid (e.g. 'compcor' without 'high_pass').
    """
    given = _given_options(options)
    items = tuple(options.regressors or ())
    presets = {k.lower(): k for k in PRESETS}
    if len(items) == 1 and items[0].lower() in presets:
        name = presets[items[0].lower()]
        params, unused = _preset_kwargs(name, given)
        return ConfoundSpec("preset", name, nilearn=params, unused=tuple(unused))
    if len(items) == 1 and items[0] in NILEARN_STRATEGIES:
        params, unused = _strategy_kwargs(items[0], given)
        return ConfoundSpec("strategy", items[0], nilearn=params, unused=tuple(unused))
    if items and all(i in COMPONENTS for i in items):
        components = tuple(dict.fromkeys(items))
        params, unused = _component_kwargs(components, given)
        return ConfoundSpec("components", None, nilearn=params, unused=tuple(unused))
    scrub = _column_scrub(given)
    used = {"fd_threshold", "std_dvars_threshold", "scrub"} if scrub else set()
    unused = tuple(k for k in given if k not in used)
    if not items:
        return ConfoundSpec("all", scrub=scrub, unused=unused)
    return ConfoundSpec("columns", patterns=items, scrub=scrub, unused=unused)


def confounds_sidecar_path(path: str) -> Path:
    """Return the JSON sidecar of a confounds file (fMRIPrep's CompCor metadata)."""
    p = Path(path)
    return p.with_suffix(".json")


def _expected_columns(params: dict[str, Any]) -> list[str]:
    strategy = params["strategy"]
    expected: list[str] = []
    for component in ("motion", "wm_csf", "global_signal"):
        if component in strategy:
            expected += _with_suffixes(component, params[component])
    if "scrub" in strategy:
        expected += ["framewise_displacement", "std_dvars"]
    return expected


def _check_compcor(params: dict[str, Any], path: str, columns: list[str]) -> None:
    from nilearn.interfaces.fmriprep.load_confounds_compcor import find_compcor

    sidecar = confounds_sidecar_path(path)
    if not sidecar.is_file():
        raise ConfoundsError(
            f"CompCor needs the confounds file's JSON sidecar, and '{sidecar}' does not "
            f"exist (confounds file '{path}'). fMRIPrep writes it next to the TSV; copy "
            "it there, or choose the a_comp_cor_*/t_comp_cor_* columns by name."
        )
    try:
        meta = json.loads(sidecar.read_text())
        wanted = find_compcor(meta, params["compcor"], params["n_compcor"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfoundsError(
            f"The CompCor metadata in '{sidecar}' cannot be used ({exc!r}). It must be "
            "fMRIPrep's confounds JSON (entries such as a_comp_cor_00 with a 'Mask')."
        ) from None
    missing = [c for c in wanted if c not in columns]
    if not wanted or missing:
        raise ConfoundsError(
            f"Confounds file '{path}' lacks the CompCor columns for "
            f"compcor='{params['compcor']}': "
            + (", ".join(missing) if missing else f"none listed in '{sidecar}'")
            + ". Choose another 'compcor' type or strategy."
        )


def _link(source: str | Path, target: Path) -> None:
    try:
        os.symlink(os.path.abspath(source), target)
    except OSError:  # no symlinks (some Windows setups, some file systems)
        shutil.copyfile(source, target)


def _private_dir() -> str:
    """Return a new temporary folder whose path has no 'tsv' in it.

    nilearn finds the JSON sidecar by replacing every 'tsv' in the path.
    """
    rejected = []
    try:
        for _ in range(50):
            workdir = tempfile.mkdtemp(prefix="niimasker-")
            if "tsv" not in workdir:
                return workdir
            rejected.append(workdir)
    finally:
        for folder in rejected:
            shutil.rmtree(folder, ignore_errors=True)
    raise ConfoundsError(
        f"The temporary folder '{tempfile.gettempdir()}' has 'tsv' in its path, which "
        "nilearn's confound loader cannot handle. Set TMPDIR to another folder."
    )


#: Components whose columns nilearn chooses by name alone (no sidecar, no thresholds).
_BY_NAME = frozenset({"motion", "wm_csf", "global_signal", "high_pass"})
_SUFFIXED = {
    "motion": ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"],
    "wm_csf": ["csf", "white_matter"],
    "global_signal": ["global_signal"],
}
_SUFFIXES = {
    "basic": (),
    "derivatives": ("derivative1",),
    "power2": ("power2",),
    "full": ("derivative1", "power2", "derivative1_power2"),
}


def _with_suffixes(component: str, model: str) -> list[str]:
    """Return a component's columns for ``model``, as nilearn's ``add_suffix`` names them.

    nilearn's order for ``"full"`` follows a set's; its selection is sorted after.
    """
    bases = _SUFFIXED[component]
    return bases + [f"{b}_{s}" for b in bases for s in _SUFFIXES[model]]


def _select_by_name(
    path: str, params: dict[str, Any]
) -> tuple[pd.DataFrame, np.ndarray | None] | None:
    """Return nilearn's ``load_confounds(demean=False)`` without importing nilearn.

    For strategies of components chosen by column name alone (motion,
    wm_csf, global_signal, high_pass: every preset but the Scrub and CompCor
    ones, and nilearn's ``simple``), this is nilearn
    0.14's selection step by step: the file read as nilearn reads it, the
    non-steady-state columns always, each component's columns, outlier
    columns turned into the sample mask, the rest in sorted order, a first
    row's ``n/a`` taken from the second row. Importing nilearn's fMRIPrep
    interface costs a process ~1.2 s (it imports scikit-learn). Returns None
    where nilearn must run: other components, or a file or table nilearn
    refuses or warns about (its own message then reaches the user).
    """
    import pandas as pd  # pandas: only with tables

    if not set(params["strategy"]) <= _BY_NAME:
        return None  # also when non_steady_state is given: nilearn warns it always is
    raw = pd.read_csv(path, delimiter="\t", encoding="utf-8")
    names = [str(c) for c in raw.columns]
    camel = any(c != c.lower() and c != c.upper() and "_" not in c for c in names)
    try:
        float(names[0])
        numeric_header = True
    except ValueError:
        numeric_header = False
    if camel or numeric_header or len(raw) < 2:
        return None
    chosen = [c for c in names if "non_steady_state" in c]
    for component in params["strategy"]:
        if component in _SUFFIXED:
            wanted = _with_suffixes(component, params[component])
            if not all(w in names for w in wanted):
                return None
            chosen += wanted
        else:  # high_pass
            chosen += [c for c in names if "cosine" in c]
    frame = raw.loc[:, chosen]
    outliers = {c for c in chosen if "motion_outlier" in c or "non_steady_state" in c}
    sample_mask = None
    if outliers:
        flags = frame.loc[:, sorted(outliers)].sum(axis=1).to_numpy()
        sample_mask = np.where(flags == 0)[0]
        if sample_mask.size == 0:  # nilearn warns: every volume is an outlier
            return None
    confounds = frame.loc[:, sorted(set(chosen) - outliers)].copy()
    if any(kind not in "fiu" for kind in confounds.dtypes.map(lambda d: d.kind)):
        return None  # text in a column: nilearn's own error
    if confounds.size != 0:
        first = np.isnan(confounds.to_numpy(dtype=np.float64)[0, :])
        confounds.iloc[0, first] = confounds.iloc[1, first]
    return confounds, sample_mask


def load_with_nilearn(
    path: str, table: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Run nilearn's ``load_confounds`` on the confounds file ``path``.

    Parameters
    ----------
    path : str
        Any confounds TSV/CSV; its JSON sidecar is used when present.
    table : pandas.DataFrame
        The file as read (checked for the needed columns first).
    params : dict
        ``load_confounds`` keyword arguments (``strategy`` and options).

    Returns
    -------
    confounds : pandas.DataFrame
        nilearn's selection, not demeaned; first-row ``n/a`` filled from the
        second row as nilearn does.
    sample_mask : numpy.ndarray or None
        Kept volumes (non-steady-state and scrubbing), over all volumes.

    Raises
    ------
    ConfoundsError
        Naming the missing columns, or repeating nilearn's complaint.
    """
    import pandas as pd  # pandas: only with tables

    missing = [c for c in _expected_columns(params) if c not in table.columns]
    if missing:
        raise ConfoundsError(
            f"Confounds file '{path}' lacks column(s) needed by the chosen "
            f"'regressors': {', '.join(missing)}. Choose a strategy whose columns the "
            "file has, or name the columns you want."
        )
    if "compcor" in params["strategy"]:
        _check_compcor(params, path, list(table.columns))
    if "ica_aroma" in params["strategy"] and params.get("ica_aroma") == "basic":
        if not any("aroma" in c for c in table.columns):
            raise ConfoundsError(
                f"Confounds file '{path}' has no aroma_motion_* columns, needed by "
                "ica_aroma='basic'. Run fMRIPrep with --use-aroma, or choose another "
                "strategy."
            )
    if not (path.lower().endswith(".csv") or "header" in table.attrs):
        chosen = _select_by_name(path, params)
        if chosen is not None:
            return chosen
    from nilearn.interfaces.fmriprep import load_confounds

    full_aroma = "ica_aroma" in params["strategy"] and params.get("ica_aroma") == "full"
    image_name = (
        "desc-smoothAROMAnonaggr_bold.nii.gz"
        if full_aroma
        else "desc-preproc_bold.nii.gz"
    )
    workdir = _private_dir()
    try:
        root = Path(workdir) / "func"
        root.mkdir()
        confounds_name = root / "sub-niimasker_desc-confounds_timeseries.tsv"
        if path.lower().endswith(".csv") or "header" in table.attrs:
            # a CSV or a headerless file: nilearn reads only fMRIPrep's TSV
            table.to_csv(confounds_name, sep="\t", index=False, na_rep="n/a")
        else:
            _link(path, confounds_name)
        sidecar = confounds_sidecar_path(path)
        if sidecar.is_file():
            _link(sidecar, confounds_name.with_suffix(".json"))
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", category=(DeprecationWarning, FutureWarning)
            )
            try:
                selected, sample_mask = load_confounds(
                    str(root / f"sub-niimasker_{image_name}"), demean=False, **params
                )
            except (ValueError, KeyError) as exc:
                raise ConfoundsError(
                    f"nilearn cannot load confounds from '{path}' with {params}: {exc}"
                ) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if selected is None:
        selected = pd.DataFrame(index=table.index)
    return selected, None if sample_mask is None else np.asarray(sample_mask, dtype=int)
