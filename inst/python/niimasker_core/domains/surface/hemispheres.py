"""Which hemisphere a surface file holds, and its other half, by name or metadata.

GIFTI and FreeSurfer files hold one hemisphere each. The two halves of one
image (or atlas) are found by name, in the three spellings in use: BIDS
(``sub-01_hemi-L_bold.func.gii`` / ``hemi-R``), FreeSurfer (``lh.aparc.annot``
/ ``rh.``) and HCP (``Schaefer.L.label.gii`` / ``.R.``). A GIFTI file's
``AnatomicalStructurePrimary`` metadata, when present, says which
hemisphere it is and wins over the name.
"""

from __future__ import annotations

import re
from pathlib import Path

from .grayordinates import CORTEX_LEFT, CORTEX_RIGHT

__all__ = ["hemisphere_of_name", "other_half", "structure_of", "without_hemisphere"]

#: name patterns: (regular expression, the left spelling, the right spelling)
_SPELLINGS = (
    (re.compile(r"(^|_)hemi-([LR])(?=_|\.)"), "hemi-L", "hemi-R"),
    (re.compile(r"^([lr])h\."), "lh.", "rh."),
    (re.compile(r"\.([LR])\."), ".L.", ".R."),
)

#: GIFTI's AnatomicalStructurePrimary values, by CIFTI structure
_GIFTI_NAMES = {
    "cortexleft": CORTEX_LEFT,
    "cortex_left": CORTEX_LEFT,
    "left": CORTEX_LEFT,
    "cortexright": CORTEX_RIGHT,
    "cortex_right": CORTEX_RIGHT,
    "right": CORTEX_RIGHT,
}


def _match(name: str) -> tuple[re.Match, str, str] | None:
    for pattern, left, right in _SPELLINGS:
        found = pattern.search(name)
        if found:
            return found, left, right
    return None


def hemisphere_of_name(path: str) -> str | None:
    """Return ``CIFTI_STRUCTURE_CORTEX_LEFT`` or ``..._RIGHT`` from a file name, or None."""
    found = _match(Path(path).name)
    if found is None:
        return None
    letter = found[0].group(found[0].lastindex).upper()
    return CORTEX_LEFT if letter == "L" else CORTEX_RIGHT


def structure_of(path: str, anatomical_structure: str | None) -> str | None:
    """Return a file's cortex: its metadata's when it names one, else its name's."""
    if anatomical_structure:
        known = _GIFTI_NAMES.get(anatomical_structure.strip().lower())
        if known is not None:
            return known
    return hemisphere_of_name(path)


def other_half(path: str) -> str:
    """Return the path the other hemisphere's file has by the naming rules, or ''."""
    name = Path(path).name
    found = _match(name)
    if found is None:
        return ""
    match, left, right = found
    text = match.group(0)
    swapped = text.replace(left, right) if left in text else text.replace(right, left)
    return str(
        Path(path).with_name(name[: match.start()] + swapped + name[match.end() :])
    )


def without_hemisphere(name: str) -> str:
    """Return a file name without its hemisphere (the stem of a pair's outputs)."""
    found = _match(name)
    if found is None:
        return name
    match, left, _ = found
    before, after = name[: match.start()], name[match.end() :]
    if left == "hemi-L" and not before and after.startswith("_"):
        after = after[1:]  # 'hemi-L_atlas' -> 'atlas'
    if left == ".L.":
        return before + "." + after  # 'Schaefer.L.label' -> 'Schaefer.label'
    return before + after  # '_hemi-L' and 'lh.' go
