"""The catalogue of ``nilearn:`` atlas queries: each atlas's fetcher and parameter grammar.

The seed's spellings are kept (``nilearn:yeo:thick_7``, ``nilearn:basc:sym-20``,
``nilearn:schaefer:400-17-2``, ``nilearn:aal:SPM12``,
``nilearn:destrieux:lateralized``, ``nilearn:talairach:ba``) and the
probabilistic and other atlases nilearn 0.14 fetches are added
(``harvard_oxford``, ``juelich``, ``difumo``, ``msdl``, ``pauli``, ``smith``).
:func:`parse_query` turns a query into an atlas and its fetcher's
arguments; it never touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AtlasQueryError
from .registry import PREFIX

__all__ = ["ATLASES", "AtlasSpec", "parse_query"]


_BASC_SCALES = (7, 12, 20, 36, 64, 122, 197, 325, 444)
_SCHAEFER_ROIS = (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)
_HARVARD_OXFORD = tuple(
    f"{part}-{kind}-{res}"
    for part in ("cort", "cortl", "sub")
    for kind in ("maxprob-thr0", "maxprob-thr25", "maxprob-thr50", "prob")
    for res in ("1mm", "2mm")
)
_JUELICH = tuple(
    f"{kind}-{res}"
    for kind in ("maxprob-thr0", "maxprob-thr25", "maxprob-thr50", "prob")
    for res in ("1mm", "2mm")
)


@dataclass(frozen=True)
class AtlasSpec:
    """One queryable atlas: its nilearn fetcher and how its parameters are spelled."""

    name: str
    fetcher: str
    syntax: str  # parameter grammar shown in error messages
    default: str  # parameters used when the query gives none ("" = none needed)
    parse: Callable[[str], dict[str, Any]]


class _Bad(ValueError):
    """A parameter value outside its allowed set (turned into AtlasQueryError)."""


def _pick(value: str, allowed: tuple, what: str) -> Any:
    for option in allowed:
        if value.lower() == str(option).lower():
            return option
    raise _Bad(f"{what} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _parts(params: str, n_min: int, n_max: int) -> list[str]:
    parts = re.split(r"[-_]", params)
    if not n_min <= len(parts) <= n_max:
        raise _Bad(f"expected {n_min}-{n_max} parts separated by '-', got {params!r}")
    return parts


def _aal(p: str) -> dict[str, Any]:
    return {"version": _pick(p, ("SPM5", "SPM8", "SPM12", "3v2"), "version")}


def _basc(p: str) -> dict[str, Any]:
    version, scale = _parts(p, 2, 2)
    return {
        "version": _pick(version, ("sym", "asym"), "version"),
        "resolution": _pick(scale, _BASC_SCALES, "number of networks"),
    }


def _destrieux(p: str) -> dict[str, Any]:
    return {
        "lateralized": _pick(p, ("lateralized", "nonlateralized"), "side")
        == "lateralized"
    }


def _schaefer(p: str) -> dict[str, Any]:
    parts = _parts(p, 1, 3)
    parts += ["7", "1"][len(parts) - 1 :]  # defaults for the parts left out
    return {
        "n_rois": _pick(parts[0], _SCHAEFER_ROIS, "number of regions"),
        "yeo_networks": _pick(parts[1], (7, 17), "number of networks"),
        "resolution_mm": _pick(parts[2], (1, 2), "resolution in mm"),
    }


def _talairach(p: str) -> dict[str, Any]:
    return {
        "level_name": _pick(p, ("hemisphere", "lobe", "gyrus", "tissue", "ba"), "level")
    }


def _yeo(p: str) -> dict[str, Any]:
    thickness, networks = _parts(p, 2, 2)
    return {
        "thickness": _pick(thickness, ("thin", "thick"), "thickness"),
        "n_networks": _pick(networks, (7, 17), "number of networks"),
    }


def _harvard_oxford(p: str) -> dict[str, Any]:
    return {"atlas_name": _pick(p, _HARVARD_OXFORD, "atlas name")}


def _juelich(p: str) -> dict[str, Any]:
    return {"atlas_name": _pick(p, _JUELICH, "atlas name")}


def _difumo(p: str) -> dict[str, Any]:
    parts = _parts(p, 1, 2)
    parts += ["2"][len(parts) - 1 :]  # default resolution 2 mm
    return {
        "dimension": _pick(parts[0], (64, 128, 256, 512, 1024), "dimension"),
        "resolution_mm": _pick(parts[1], (2, 3), "resolution in mm"),
    }


def _msdl(p: str) -> dict[str, Any]:
    if p:
        raise _Bad(f"msdl takes no parameters; got {p!r}")
    return {}


def _pauli(p: str) -> dict[str, Any]:
    return {"atlas_type": _pick(p, ("probabilistic", "deterministic"), "type")}


def _smith(p: str) -> dict[str, Any]:
    match = re.fullmatch(r"(rsn|bm)(10|20|70)", p.lower())
    if match is None:
        raise _Bad(f"expected rsn10, rsn20, rsn70, bm10, bm20 or bm70; got {p!r}")
    return {"resting": match.group(1) == "rsn", "dimension": int(match.group(2))}


ATLASES: dict[str, AtlasSpec] = {
    spec.name: spec
    for spec in (
        AtlasSpec("aal", "fetch_atlas_aal", "SPM5 | SPM8 | SPM12 | 3v2", "SPM12", _aal),
        AtlasSpec(
            "basc",
            "fetch_atlas_basc_multiscale_2015",
            "<sym|asym>-<" + "|".join(map(str, _BASC_SCALES)) + ">",
            "sym-7",
            _basc,
        ),
        AtlasSpec(
            "destrieux",
            "fetch_atlas_destrieux_2009",
            "lateralized | nonlateralized",
            "lateralized",
            _destrieux,
        ),
        AtlasSpec(
            "schaefer",
            "fetch_atlas_schaefer_2018",
            "<100|200|...|1000>[-<7|17>[-<1|2 mm>]]",
            "400-7-1",
            _schaefer,
        ),
        AtlasSpec(
            "talairach",
            "fetch_atlas_talairach",
            "hemisphere | lobe | gyrus | tissue | ba",
            "",
            _talairach,
        ),
        AtlasSpec(
            "yeo",
            "fetch_atlas_yeo_2011",
            "thin_7 | thick_7 | thin_17 | thick_17",
            "thick_7",
            _yeo,
        ),
        AtlasSpec(
            "harvard_oxford",
            "fetch_atlas_harvard_oxford",
            "<cort|cortl|sub>-<maxprob-thr0|maxprob-thr25|maxprob-thr50|prob>-<1mm|2mm>",
            "cort-maxprob-thr25-2mm",
            _harvard_oxford,
        ),
        AtlasSpec(
            "juelich",
            "fetch_atlas_juelich",
            "<maxprob-thr0|maxprob-thr25|maxprob-thr50|prob>-<1mm|2mm>",
            "maxprob-thr25-2mm",
            _juelich,
        ),
        AtlasSpec(
            "difumo",
            "fetch_atlas_difumo",
            "<64|128|256|512|1024>[-<2|3 mm>]",
            "64-2",
            _difumo,
        ),
        AtlasSpec("msdl", "fetch_atlas_msdl", "", "", _msdl),
        AtlasSpec(
            "pauli",
            "fetch_atlas_pauli_2017",
            "probabilistic | deterministic",
            "probabilistic",
            _pauli,
        ),
        AtlasSpec(
            "smith",
            "fetch_atlas_smith_2009",
            "rsn10 | rsn20 | rsn70 | bm10 | bm20 | bm70",
            "rsn10",
            _smith,
        ),
    )
}

_ALIASES = {
    "harvard-oxford": "harvard_oxford",
    "harvardoxford": "harvard_oxford",
    "ho": "harvard_oxford",
    "basc_multiscale_2015": "basc",
    "schaefer_2018": "schaefer",
    "yeo_2011": "yeo",
    "destrieux_2009": "destrieux",
    "pauli_2017": "pauli",
    "smith_2009": "smith",
}


def _catalogue() -> str:
    return "\n".join(
        f"  nilearn:{s.name}"
        + (f":{s.syntax}" if s.syntax else "")
        + (f"  (default {s.default})" if s.default else "")
        for s in ATLASES.values()
    )


def parse_query(query: str) -> tuple[AtlasSpec, dict[str, Any]]:
    """Parse ``nilearn:<atlas>[:<parameters>]`` into an atlas and fetcher keywords.

    Parameters
    ----------
    query : str
        For example ``nilearn:schaefer:400-17-2`` or ``nilearn:msdl``.

    Returns
    -------
    spec : AtlasSpec
        The atlas.
    kwargs : dict
        Keyword arguments for the nilearn fetcher (without ``data_dir``).

    Raises
    ------
    AtlasQueryError
        If the query is malformed; the message lists every valid atlas and
        its parameters.
    """
    text = str(query).strip()
    pieces = text.split(":", 2)
    if len(pieces) < 2 or pieces[0].lower() != PREFIX[:-1] or not pieces[1]:
        raise AtlasQueryError(
            "{parameter} {value} is not a valid atlas query: use "
            "'nilearn:<atlas>:<parameters>'. Valid atlases and parameters:\n"
            "{catalogue:text}",
            parameter="roi_file",
            value=query,
            catalogue=_catalogue(),
        )
    key = pieces[1].strip().lower()
    key = _ALIASES.get(key, key)
    spec = ATLASES.get(key)
    if spec is None:
        raise AtlasQueryError(
            "{parameter} {value} names an unknown atlas {atlas}. Valid atlases "
            "and parameters:\n{catalogue:text}",
            parameter="roi_file",
            value=query,
            atlas=pieces[1],
            catalogue=_catalogue(),
        )
    params = pieces[2].strip() if len(pieces) == 3 else ""
    if not params and spec.default == "" and spec.syntax:
        raise AtlasQueryError(
            "{parameter} {value} needs parameters: {syntax:text}.",
            parameter="roi_file",
            value=query,
            syntax=f"nilearn:{spec.name}:{spec.syntax}",
        )
    try:
        return spec, spec.parse(params or spec.default)
    except _Bad as exc:
        raise AtlasQueryError(
            "{parameter} {value} has invalid parameters for {atlas}: {problem:text}. "
            "Use {syntax:text}, e.g. {example:text}.",
            parameter="roi_file",
            value=query,
            atlas=spec.name,
            problem=str(exc),
            syntax=f"nilearn:{spec.name}:{spec.syntax}",
            example=f"nilearn:{spec.name}{':' + spec.default if spec.default else ''}",
        ) from None
