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


def _parse(spec: str) -> dict[str, str]:
    """Return the entities ``spec`` asks for: template, atlas, and desc, res, den if given."""
    parts = spec[len(PREFIX) :].strip("/").split("/")
    wanted: dict[str, str] = {}
    if parts and re.match(r"^(res|den)-[A-Za-z0-9]+$", parts[-1]):
        key, _, value = parts.pop().partition("-")
        wanted[key] = value
    if len(parts) not in (2, 3) or not all(_PART.match(p) for p in parts):
        raise RoiError(
            "{parameter} {value} is no TemplateFlow atlas name: write "
            "tpl:<template>/<atlas>[/<desc>][/res-<n>].",
            parameter="roi_file",
            value=spec,
            fix="For example tpl:MNI152NLin2009cAsym/Schaefer2018/100Parcels7Networks/res-2.",
        )
    wanted.update(tpl=parts[0], atlas=parts[1])
    if len(parts) == 3:
        wanted["desc"] = parts[2]
    return wanted


def _entities(name: str) -> dict[str, str]:
    pairs = name.split(".", 1)[0].split("_")[:-1]  # the suffix (dseg) last
    return dict(p.split("-", 1) for p in pairs if "-" in p)


def _matches(entities: dict[str, str], wanted: dict[str, str]) -> bool:
    for key, value in wanted.items():
        have = entities.get(key)
        if key == "res" and have is not None and have.isdigit() and value.isdigit():
            if int(have) != int(value):  # res-2 is TemplateFlow's res-02
                return False
        elif have != value:
            return False
    return True


def resolve_template_atlas(spec: str) -> TemplateAtlas:
    """Return the files of the TemplateFlow atlas ``spec`` names.

    Parameters
    ----------
    spec : str
        ``tpl:<template>/<atlas>[/<desc>][/res-<n>]`` (or ``/den-<label>``
        for a surface atlas).

    Returns
    -------
    TemplateAtlas
        The atlas image (``_dseg.nii.gz``, ``.nii`` or ``.dlabel.nii``) and
        its regions table (None if absent).

    Raises
    ------
    RoiError
        If ``spec`` is malformed, or matches several files (resolutions,
        descriptions) and does not say which.
    ImageNotFoundError
        If the atlas is not in ``TEMPLATEFLOW_HOME``: the path looked for and
        how to fetch it.
    """
    wanted = _parse(spec)
    template = wanted["tpl"]
    folder = templateflow_home() / f"tpl-{template}"
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    images = [
        path
        for path in files
        if path.name.startswith(f"tpl-{template}_")
        and path.name.endswith(_IMAGE_ENDINGS)
        and _matches(_entities(path.name), wanted)
    ]
    if len(images) > 1:
        raise RoiError(
            "{parameter} {value} matches several TemplateFlow atlases "
            "({listed:text}); name one.",
            parameter="roi_file",
            value=spec,
            listed=", ".join(p.name for p in images[:4]),
            fix="Add its description and /res-<n> (or /den-<label>) to the name.",
        )
    if not images:
        _missing(spec, wanted, folder)
    chosen = images[0]
    tables = [
        path
        for path in files
        if path.name.startswith(f"tpl-{template}_")
        and path.name.endswith("_dseg.tsv")
        and _matches(
            _entities(path.name),
            {
                k: v
                for k, v in _entities(chosen.name).items()
                if k not in ("res", "den")
            },
        )
    ]
    tables.sort(key=lambda p: ("res" in _entities(p.name), "den" in _entities(p.name)))
    return TemplateAtlas(str(chosen), str(tables[0]) if tables else None)


#: The atlas files read: NIfTI labels and CIFTI dense labels.
_IMAGE_ENDINGS = ("_dseg.nii.gz", "_dseg.nii", "_dseg.dlabel.nii")


def _missing(spec: str, wanted: dict[str, str], folder: Path) -> None:
    """Raise the one-line error naming the file looked for and how to fetch it."""
    template, atlas, desc = wanted["tpl"], wanted["atlas"], wanted.get("desc")
    res, den = wanted.get("res"), wanted.get("den")
    name = f"tpl-{template}"
    if res is not None:
        name += f"_res-{int(res):02d}" if res.isdigit() else f"_res-{res}"
    name += f"_atlas-{atlas}" + (f"_den-{den}" if den else "")
    name += (f"_desc-{desc}" if desc else "") + "_dseg"
    name += ".dlabel.nii" if den else ".nii.gz"
    fetch = (
        f"templateflow.api.get('{template}', atlas='{atlas}'"
        + (f", desc='{desc}'" if desc else "")
        + (f", resolution={int(res)}" if res and res.isdigit() else "")
        + (f", density='{den}'" if den else "")
        + ", suffix='dseg')"
    )
    raise ImageNotFoundError(
        "{parameter} {value} is not in TEMPLATEFLOW_HOME: {file} is missing.",
        parameter="roi_file",
        value=spec,
        file=str(folder / name),
        fix=f"Fetch it once with Python's templateflow package ({fetch}), or set "
        f"TEMPLATEFLOW_HOME to the folder holding tpl-{template}.",
    )
