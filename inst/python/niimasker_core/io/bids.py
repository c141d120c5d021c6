"""BIDS file names: their entities, and pairing images with confound files by them.

A BIDS name is ``key-value`` pairs joined by ``_``, then a suffix and an
extension: ``sub-01_ses-2_task-rest_run-1_space-MNI_desc-preproc_bold.nii.gz``.
An image and a confounds file belong together when the confounds file's
entities are all in the image name with the same values, ignoring the
entities that describe a derivative rather than the acquisition (``space``,
``res``, ``den``, ``desc``, ...). fMRIPrep's
``sub-01_ses-2_task-rest_run-1_desc-confounds_timeseries.tsv`` (and the older
``..._desc-confounds_regressors.tsv``) pairs with every space and resolution
of that run. When several files match, the one sharing the most entities wins;
a tie is an error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import PairingError

__all__ = [
    "ENTITY_ORDER",
    "IGNORED_ENTITIES",
    "derivative_name",
    "relmat_stat",
    "source_entities",
    "is_bids_name",
    "match_confounds",
    "pair_by_entities",
    "parse_entities",
]

#: Entities that name a derivative's space or processing, not the acquisition.
IGNORED_ENTITIES = frozenset({"space", "res", "den", "desc", "label", "cohort", "hemi"})

#: BIDS's order of entities (the specification's entity table), with the
#: derivative entities ``atlas`` (after ``space``, as XCP-D writes it) and
#: ``stat`` (last, BEP017's and XCP-D's place for it).
ENTITY_ORDER = (
    "sub", "ses", "sample", "task", "tracksys", "acq", "nuc", "voi", "ce", "trc",
    "stain", "rec", "dir", "run", "mod", "echo", "flip", "inv", "mt", "part",
    "proc", "hemi", "space", "atlas", "cohort", "split", "recording", "chunk",
    "seg", "res", "den", "label", "desc", "stat",
)  # fmt: skip

#: Entities of an image name that say how it was processed, not what it is:
#: not part of the outputs' source entities (``space``, ``res`` and ``den``
#: are written again after them; ``hemi``: the outputs hold both halves).
_PROCESSING = frozenset({"space", "res", "den", "desc", "hemi", "label"})

_PAIR = re.compile(r"^([a-zA-Z0-9]+)-([a-zA-Z0-9.+]+)$")


def parse_entities(path: str | Path) -> dict[str, str]:
    """Return the ``key-value`` entities of a BIDS file name, in name order.

    Parameters
    ----------
    path : str or Path
        A file path; only its name is read.

    Returns
    -------
    dict
        Entity values by key (``{'sub': '01', 'task': 'rest', ...}``); the
        suffix (``bold``) and extension are not entities. Empty when the name
        has no ``sub-`` entity.
    """
    name = Path(path).name
    stem = name.split(".", 1)[0]
    entities: dict[str, str] = {}
    for part in stem.split("_"):
        found = _PAIR.match(part)
        if found:
            entities.setdefault(found.group(1), found.group(2))
    return entities if "sub" in entities else {}


def is_bids_name(path: str | Path) -> bool:
    """Return True when the file name has BIDS entities, starting with ``sub-``."""
    return Path(path).name.startswith("sub-") and bool(parse_entities(path))


def _key(path: str | Path) -> dict[str, str]:
    return {k: v for k, v in parse_entities(path).items() if k not in IGNORED_ENTITIES}


def match_confounds(image: str, confounds: Sequence[str]) -> list[str]:
    """Return the confound files that belong to ``image``, best first.

    Parameters
    ----------
    image : str
        An image path with a BIDS name.
    confounds : sequence of str
        Candidate confounds files with BIDS names.

    Returns
    -------
    list of str
        The candidates whose entities (ignoring :data:`IGNORED_ENTITIES`) are
        all in the image name with equal values and that share the largest
        number of entities with it. Usually one file; more means a tie.
    """
    wanted = _key(image)
    scored = []
    for path in confounds:
        key = _key(path)
        if key and all(wanted.get(k) == v for k, v in key.items()):
            scored.append((len(key), path))
    if not scored:
        return []
    best = max(n for n, _ in scored)
    return [p for n, p in scored if n == best]


def _describe(entities: dict[str, str]) -> str:
    return "_".join(f"{k}-{v}" for k, v in entities.items()) or "(no entities)"


def pair_by_entities(
    images: Sequence[str], confounds: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Pair each image with its one confounds file by BIDS entities.

    Parameters
    ----------
    images : sequence of str
        Image paths with BIDS names.
    confounds : sequence of str
        Confounds paths with BIDS names.

    Returns
    -------
    paired : list of str
        The confounds file of each image, in image order.
    unused : list of str
        Confounds files that no image uses.

    Raises
    ------
    PairingError
        If an image has no matching confounds file, or more than one equally
        good match; the message names the image, its entities and the
        candidates.
    """
    paired: list[str] = []
    problems: list[str] = []
    for image in images:
        found = match_confounds(image, confounds)
        if len(found) == 1:
            paired.append(found[0])
            continue
        wanted = _key(image)
        if not found:
            same_sub = [c for c in confounds if _key(c).get("sub") == wanted.get("sub")]
            hint = same_sub[:5] or list(confounds[:5])
            problems.append(
                f"no confounds file for '{image}' (entities {_describe(wanted)}); "
                f"candidates considered: {', '.join(hint) if hint else 'none'}"
            )
        else:
            problems.append(
                f"more than one confounds file for '{image}' (entities "
                f"{_describe(wanted)}): {', '.join(found)}"
            )
        paired.append("")
    if problems:
        shown = problems[:5]
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PairingError(
            "'regressor_files' cannot be paired with 'input_files' by BIDS entities: "
            + "; ".join(shown)
            + more
            + ". A confounds file pairs with an image when all its entities other than "
            + ", ".join(sorted(IGNORED_ENTITIES))
            + " appear in the image name with the same values. Fix the "
            "'regressor_files' pattern or list so that each image has exactly one "
            "match (e.g. only '*desc-confounds_timeseries.tsv')."
        )
    used = set(paired)
    unused = [c for c in confounds if c not in used]
    return paired, unused


def source_entities(path: str | Path) -> dict[str, str]:
    """Return the entities of an image its outputs keep: acquisition, space, density.

    ``desc`` and ``label`` (how the image was processed) and ``hemi`` (an
    output holds both hemispheres) are dropped; ``space``, ``cohort``,
    ``res`` and ``den`` are kept.

    Parameters
    ----------
    path : str or Path
        An image with a BIDS name.

    Returns
    -------
    dict
        Entity values by key; empty when the name has no ``sub-`` entity.
    """
    keep = _PROCESSING - {"space", "res", "den"}
    return {k: v for k, v in parse_entities(path).items() if k not in keep}


def derivative_name(
    entities: dict[str, str],
    space: str | None,
    atlas: str | None,
    stat: str | None,
    suffix: str,
    extension: str,
) -> str:
    """Return a BIDS derivative's path: ``sub-<>/[ses-<>/]func/<entities>_<suffix><extension>``.

    Every output of the BIDS layout is named here: an image's timeseries
    (``stat='mean'``, ``suffix='timeseries'``), its coverage
    (``stat='coverage'``, ``suffix='bold'``), its sidecars and connectivity
    matrices (``stat=relmat_stat(kind)``, ``suffix='relmat'``).

    Parameters
    ----------
    entities : dict
        The source image's entities (:func:`source_entities`); ``sub`` is
        required.
    space : str or None
        The ``space`` entity (None: the source's, if any).
    atlas : str or None
        The ROI set's name (the ``atlas`` entity).
    stat : str or None
        The statistic (the ``stat`` entity).
    suffix : str
        The BIDS suffix (``timeseries``, ``bold``, ``relmat``).
    extension : str
        With its dot (``.tsv``, ``.json``).

    Returns
    -------
    str
        The path relative to the dataset's root, entities in BIDS order
        (:data:`ENTITY_ORDER`; others after them, in the source's order).
    """
    given = dict(entities)
    for key, value in (("space", space), ("atlas", atlas), ("stat", stat)):
        if value is not None:
            given[key] = value
    rank = {key: n for n, key in enumerate(ENTITY_ORDER)}
    keys = sorted(given, key=lambda k: rank.get(k, rank["desc"] + 0.5))
    name = "_".join(f"{k}-{given[k]}" for k in keys) + f"_{suffix}{extension}"
    folders = [f"sub-{given['sub']}"]
    if "ses" in given:
        folders.append(f"ses-{given['ses']}")
    return "/".join([*folders, "func", name])


#: nilearn's connectivity kinds as XCP-D spells them in ``stat-``.
_RELMAT_STATS = {"correlation": "pearsoncorrelation"}


def relmat_stat(kind: str) -> str:
    """Return the ``stat`` entity of a connectivity kind (XCP-D's spelling).

    ``'correlation'`` is ``pearsoncorrelation`` as in XCP-D; other kinds
    drop their spaces (``'partial correlation'``: ``partialcorrelation``).
    """
    return _RELMAT_STATS.get(kind, re.sub(r"[^A-Za-z0-9]", "", kind))
