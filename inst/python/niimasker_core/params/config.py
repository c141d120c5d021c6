"""The JSON config file: reading it and merging it with directly given values.

As the seed README says, a config value overrides the same parameter given on
the command line (or as a keyword); every overridden parameter is named in a
warning so that the override is never silent.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ConfigOverrideWarning
from .declarations import PARAMETER_NAMES
from .settings import canonical_key, unknown_names_message

__all__ = ["load_config", "merge_config"]

_KNOWN = set(PARAMETER_NAMES)


def load_config(config: str | Path | Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the config as a dict with canonical keys.

    Parameters
    ----------
    config : str, Path, mapping or None
        A JSON file path (its case is kept) or an already parsed mapping.

    Returns
    -------
    dict
        Parameter values by canonical name; ``null`` values are dropped.

    Raises
    ------
    ConfigError
        If the file is missing, is not a JSON object, or has unknown keys.
    """
    if config is None:
        return {}
    if isinstance(config, Mapping):
        raw = dict(config)
        where = "config"
    else:
        path = Path(config)
        where = f"config file '{path}'"
        if not path.is_file():
            raise ConfigError(f"Config file not found: '{path}'.")
        try:
            raw = json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{where} is not valid JSON: {exc}.") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must hold a JSON object of parameters.")
    out: dict[str, Any] = {}
    unknown = []
    for key, value in raw.items():
        name = canonical_key(key)
        if name not in _KNOWN:
            unknown.append(key)
        elif value is not None and value != [] and value != "":
            out[name] = value
    if unknown:
        raise ConfigError(unknown_names_message(unknown, f"{where} has unknown key(s)"))
    return out


def merge_config(given: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Merge directly given values with config values; the config wins.

    Parameters
    ----------
    given : mapping
        Values set explicitly on the command line or as keywords.
    config : mapping
        Values from :func:`load_config`.

    Returns
    -------
    dict
        The merged values.

    Warns
    -----
    ConfigOverrideWarning
        Naming every given parameter that the config overrides.
    """
    overridden = sorted(k for k in given if k in config and given[k] != config[k])
    if overridden:
        parts = {f"given_{i}": given[k] for i, k in enumerate(overridden)}
        parts.update({f"config_{i}": config[k] for i, k in enumerate(overridden)})
        warnings.warn(
            ConfigOverrideWarning(
                "The config file overrides: "
                + ", ".join(
                    f"{{--{k}}} (given {{given_{i}}}, config {{config_{i}}})"
                    for i, k in enumerate(overridden)
                )
                + ".",
                parameter=overridden[0],
                overridden=overridden,
                **parts,
            ),
            stacklevel=2,
        )
    return {**given, **config}
