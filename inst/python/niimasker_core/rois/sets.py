"""The ROI sets of a batch: their names, each set's own options, and loading them.

``roi_file`` names one set, or several as ``'name=path'`` entries (names
taken from the file, ``atlas-<name>``, when not given). ``labels`` and
``mask_img`` may be given per set (:mod:`niimasker_core.rois.per_set`);
:func:`split_sets` gives each set its own :class:`~niimasker_core.params.options.RoiOptions`,
and :func:`load_roi_sets` loads each through the kinds' registry
(:mod:`niimasker_core.rois.registry`). Without ``roi_file``, the one set is
every voxel of a mask.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RoiError
from ..params.options import RoiOptions, VoxelOptions
from .base import RoiRequest, RoiSource
from .per_set import values_per_set
from .registry import is_query, load_source

__all__ = ["MAX_SET_NAME", "RoiSet", "load_roi_sets", "roi_set_names", "split_sets"]


@dataclass(frozen=True)
class RoiSet:
    """One ROI set of a batch: its name, its source and its outputs' name part.

    With one set ``suffix`` is empty (outputs keep the seed's names); with
    several it is ``_atlas-<name>``. ``options`` are the set's own: the
    batch's with this set's ``roi_file``, ``labels`` and ``mask_img``, as a
    run of this set alone would have them (None: the batch's).
    """

    name: str
    source: RoiSource
    suffix: str
    options: RoiOptions | None = None


def _default_name(path: str) -> str:
    atlas = re.search(r"atlas-([A-Za-z0-9]+)", Path(path).name)
    if atlas:
        return atlas.group(1)
    stem = Path(path).name.split(".")[0] if not is_query(path) else path[8:]
    return re.sub(r"[^A-Za-z0-9]", "", stem) or "rois"


def roi_set_names(roi_file: str | tuple[str, ...] | None) -> list[tuple[str, str]]:
    """Return each ROI set's ``(name, path)``: given as ``name=path`` or from the file.

    Parameters
    ----------
    roi_file : str, tuple of str or None
        The ``roi_file`` parameter.

    Returns
    -------
    list of (str, str)
        One pair per set; names made unique by a number when they repeat.
    """
    if roi_file is None:
        return []
    entries = [roi_file] if isinstance(roi_file, str) else list(roi_file)
    pairs, given = [], []
    for entry in entries:
        label, sep, rest = entry.partition("=")
        named = sep and re.fullmatch(r"[A-Za-z0-9]+", label) and not _exists(entry)
        pairs.append((label, rest) if named else (_default_name(entry), entry))
        given.append(bool(named))
    _check_given_names(pairs, given)
    seen: dict[str, int] = {}
    unique = []
    for name, path in pairs:
        seen[name] = seen.get(name, 0) + 1
        unique.append((name if seen[name] == 1 else f"{name}{seen[name]}", path))
    taken = [name for name, _ in unique]
    if len(set(taken)) < len(taken):  # a number given to a repeated name is taken
        _repeated([n for n in taken if taken.count(n) > 1][0], roi_file)
    return unique


#: The longest ROI set name: it is part of every output file's name.
MAX_SET_NAME = 64


def _exists(entry: str) -> bool:
    try:
        return Path(entry).exists()
    except OSError:  # a name too long for the file system is no file
        return False


def _check_given_names(pairs: list[tuple[str, str]], given: list[bool]) -> None:
    names = [name for (name, _), named in zip(pairs, given) if named]
    for name in names:
        if names.count(name) > 1:
            _repeated(name, [f"{n}={p}" for n, p in pairs])
        if len(name) > MAX_SET_NAME:
            raise RoiError(
                "The ROI set name {name} is {length} characters long; it is part of "
                "every output file's name, so at most {limit} are allowed.",
                name=name[:20] + "...",
                length=len(name),
                limit=MAX_SET_NAME,
                fix="Give the set a shorter name (letters and digits) in {--roi_file}.",
            )


def _repeated(name: str, roi_file: object) -> None:
    raise RoiError(
        "{--roi_file} names two ROI sets {name}: each set needs its own name, since "
        "its outputs are named after it. Got {--roi_file:bare}={value}.",
        name=name,
        value=list(roi_file) if isinstance(roi_file, (list, tuple)) else roi_file,
        fix="Rename one of them (name=path).",
    )


def split_sets(options: RoiOptions) -> list[tuple[str, RoiOptions]]:
    """Return each ROI set's name and own options: its ``roi_file``, ``labels``, ``mask_img``.

    Checks the per-set values' keys against the sets' names without reading
    any file, so that a dry run reports a misspelled set name too.

    Parameters
    ----------
    options : RoiOptions
        The batch's ROI options (``labels`` and ``mask_img`` one value, or
        one per set).

    Returns
    -------
    list of (str, RoiOptions)
        One entry per set, in the order given.

    Raises
    ------
    RoiError
        If one ``labels`` value is given for several sets.
    SettingsError
        If ``labels`` or ``mask_img`` is keyed by a name that is no set.
    """
    pairs = roi_set_names(options.roi_file)
    names = [name for name, _ in pairs]
    labels = values_per_set("labels", options.labels, names)
    masks = values_per_set("mask_img", options.mask_img, names)
    return [
        (name, dataclasses.replace(options, roi_file=path, labels=label, mask_img=mask))
        for (name, path), label, mask in zip(pairs, labels, masks)
    ]


def load_roi_sets(
    options: RoiOptions,
    voxels: VoxelOptions | None = None,
    first_image: str | None = None,
    first_companions: tuple[str, ...] = (),
) -> list[RoiSet]:
    """Load every ROI set of ``roi_file`` (one, or several read from one pass).

    Each set gets its own ``labels`` and ``mask_img`` when they are given
    per set. Without ``roi_file``, the one set is every voxel of the mask
    ``voxels`` describes (computed from ``first_image`` when not given).

    Parameters
    ----------
    options : RoiOptions
        The batch's ROI options.
    voxels : VoxelOptions, optional
        The mask, for a batch without ``roi_file``.
    first_image : str, optional
        The batch's first image.
    first_companions : tuple of str
        Its other files (a surface run's other hemisphere).

    Returns
    -------
    list of RoiSet
        The sets, in the order given.

    Raises
    ------
    RoiError
        If ``roi_file`` is missing (and there is no image for a mask) or a set
        cannot define regions; or if one ``labels`` value is given for several sets.
    SettingsError
        If ``labels`` or ``mask_img`` is keyed by a name that is no set.
    ImageNotFoundError
        If a file does not exist.
    """
    sets = split_sets(options)
    if not sets:  # every voxel of a mask, or the registry says roi_file is required
        request = RoiRequest(None, options, voxels, first_image, first_companions)
        return [RoiSet("rois", load_source(request), "")]
    suffixes = [""] if len(sets) == 1 else [f"_atlas-{name}" for name, _ in sets]
    return [
        RoiSet(name, load_source(RoiRequest(own.roi_file, own)), suffix, own)
        for (name, own), suffix in zip(sets, suffixes)
    ]
