"""TemplateFlow atlases named ``tpl:<template>/<atlas>[/<desc>][/res-<n>]``, found on disk.

The atlas is looked up in ``TEMPLATEFLOW_HOME`` (default
``~/.cache/templateflow``) by TemplateFlow's own file names, without the
network and without pybids:
``tpl-<template>/tpl-<template>[_res-<nn>]_atlas-<atlas>[_desc-<desc>]_dseg.<ext>``,
with its regions in ``tpl-<template>_atlas-<atlas>[_desc-<desc>]_dseg.tsv``
(``index``, ``name``). A file that is not there is one error naming the path
and how to fetch it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImageNotFoundError, RoiError

__all__ = [
    "PREFIX",
    "TemplateAtlas",
    "is_template_atlas",
    "resolve_template_atlas",
    "templateflow_home",
]

#: How ``roi_file`` names a TemplateFlow atlas.
PREFIX = "tpl:"

_PART = re.compile(r"^[A-Za-z0-9+]+$")


@dataclass(frozen=True)
class TemplateAtlas:
    """A TemplateFlow atlas found on disk: its image and its regions table."""

    image: str
    table: str | None


def is_template_atlas(roi_file: object) -> bool:
    """Tell whether ``roi_file`` is a ``tpl:`` TemplateFlow atlas name."""
    return isinstance(roi_file, str) and roi_file.startswith(PREFIX)


def templateflow_home() -> Path:
    """Return ``TEMPLATEFLOW_HOME``, or ``~/.cache/templateflow``."""
    home = os.environ.get("TEMPLATEFLOW_HOME")
    return Path(home) if home else Path.home() / ".cache" / "templateflow"


def _parse(spec: str) -> tuple[str, str, str | None, int | None]:
    parts = spec[len(PREFIX) :].strip("/").split("/")
    res = None
    if parts and parts[-1].startswith("res-"):
        number = parts.pop()[len("res-") :]
        res = int(number) if number.isdigit() else -1
    if len(parts) not in (2, 3) or res == -1 or not all(_PART.match(p) for p in parts):
        raise RoiError(
            "{parameter} {value} is no TemplateFlow atlas name: write "
            "tpl:<template>/<atlas>[/<desc>][/res-<n>].",
            parameter="roi_file",
            value=spec,
            fix="For example tpl:MNI152NLin2009cAsym/Schaefer2018/100Parcels7Networks/res-2.",
        )
    template, atlas = parts[0], parts[1]
    return template, atlas, parts[2] if len(parts) == 3 else None, res


def resolve_template_atlas(spec: str) -> TemplateAtlas:
    """Return the files of the TemplateFlow atlas ``spec`` names.

    Parameters
    ----------
    spec : str
        ``tpl:<template>/<atlas>[/<desc>][/res-<n>]``.

    Returns
    -------
    TemplateAtlas
        The atlas image (``_dseg``) and its regions table (None if absent).

    Raises
    ------
    RoiError
        If ``spec`` is malformed, or several resolutions are there and none
        is named.
    ImageNotFoundError
        If the atlas is not in ``TEMPLATEFLOW_HOME``: the path looked for and
        how to fetch it.
    """
    template, atlas, desc, res = _parse(spec)
    folder = templateflow_home() / f"tpl-{template}"
    tail = f"atlas-{atlas}" + (f"_desc-{desc}" if desc else "") + "_dseg"
    pattern = re.compile(
        rf"^tpl-{re.escape(template)}(?:_res-(\d+))?_{re.escape(tail)}\.(nii\.gz|nii|dlabel\.nii)$"
    )
    found = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = pattern.match(path.name)
            if match:
                found[int(match.group(1)) if match.group(1) else None] = path
    chosen = found.get(res) if res is not None else None
    if res is None and len(found) == 1:
        chosen = next(iter(found.values()))
    elif res is None and len(found) > 1:
        raise RoiError(
            "{parameter} {value} is in TemplateFlow at several resolutions "
            "({listed:text}); name one.",
            parameter="roi_file",
            value=spec,
            listed=", ".join(f"res-{r}" for r in sorted(k for k in found if k)),
            fix="Add /res-<n> to the name, e.g. {value}/res-"
            + str(min(k for k in found if k)),
        )
    if chosen is None:
        wanted = folder / (
            f"tpl-{template}" + (f"_res-{res:02d}" if res else "") + f"_{tail}.nii.gz"
        )
        fetch = (
            f"templateflow.api.get('{template}', atlas='{atlas}'"
            + (f", desc='{desc}'" if desc else "")
            + (f", resolution={res}" if res else "")
            + ", suffix='dseg')"
        )
        raise ImageNotFoundError(
            "{parameter} {value} is not in TEMPLATEFLOW_HOME: {file} is missing.",
            parameter="roi_file",
            value=spec,
            file=str(wanted),
            fix=f"Fetch it once with Python's templateflow package ({fetch}), or "
            "set TEMPLATEFLOW_HOME to the folder holding tpl-" + template + ".",
        )
    table = folder / f"tpl-{template}_{tail}.tsv"
    if not table.is_file():
        with_res = chosen.name.split("_dseg.")[0] + "_dseg.tsv"
        table = folder / with_res
    return TemplateAtlas(str(chosen), str(table) if table.is_file() else None)
