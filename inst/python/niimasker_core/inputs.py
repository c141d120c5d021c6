"""Which image goes with which confounds file and TR, and what its outputs are called.

Wildcard patterns are expanded and naturally sorted (``run-2`` before
``run-10``). Confound files are paired with images by BIDS entities when both
have BIDS names, otherwise by sorted order.
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ImageNotFoundError, PairingError, SettingsError
from .settings import Settings

__all__ = ["RunPlan", "expand_files", "natural_key", "output_stem", "plan_runs"]


@dataclass(frozen=True)
class RunPlan:
    """One image to process: its confounds, TR and output stem."""

    image: str
    confounds: str | None
    t_r: float | None
    t_r_source: str | None  # 'parameter', 'sidecar', 'header' or None
    stem: str


def natural_key(text: str) -> list:
    """Return a sort key that orders embedded numbers numerically."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def expand_files(patterns: Sequence[str] | None, parameter: str) -> list[str]:
    """Expand wildcard patterns and return the files, naturally sorted.

    Parameters
    ----------
    patterns : sequence of str or None
        File paths or glob patterns (``*``, ``?``, ``[...]``, ``**``).
    parameter : str
        The parameter name, used in error messages.

    Returns
    -------
    list of str
        The matching files; explicit lists keep the user's order.

    Raises
    ------
    ImageNotFoundError
        If a pattern matches nothing or a listed file does not exist.
    """
    if not patterns:
        return []
    files: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern, recursive=True), key=natural_key)
            if not matches:
                raise ImageNotFoundError(
                    f"'{parameter}' pattern '{pattern}' matches no file. Check the "
                    "pattern, and quote it so that the shell does not expand it."
                )
            files.extend(matches)
        else:
            if not Path(pattern).is_file():
                raise ImageNotFoundError(f"'{parameter}' file not found: '{pattern}'.")
            files.append(pattern)
    if len(patterns) == 1 and glob.has_magic(patterns[0]):
        return files
    return files


def output_stem(image: str) -> str:
    """Return the image file name without ``.nii``/``.nii.gz``."""
    name = Path(image).name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def _unique_stems(images: list[str]) -> list[str]:
    stems = [output_stem(p) for p in images]
    if len(set(stems)) == len(stems):
        return stems
    # Same file name in different folders: prefix with the parent folders.
    return [
        "_".join(Path(p).parent.parts[-2:] + (output_stem(p),)).replace("/", "_")
        for p in images
    ]


def read_sidecar_t_r(image: str) -> float | None:
    """Return ``RepetitionTime`` from the image's BIDS JSON sidecar, if any."""
    sidecar = Path(image[: -len(".nii.gz")] if image.endswith(".nii.gz") else Path(image).with_suffix(""))
    sidecar = Path(str(sidecar) + ".json")
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text()).get("RepetitionTime")
    except (OSError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def pair_confounds(images: list[str], confounds: list[str]) -> list[str | None]:
    """Return the confounds file of each image, in image order.

    Raises
    ------
    PairingError
        If the files cannot be paired one-to-one.
    """
    if not confounds:
        return [None] * len(images)
    if len(confounds) != len(images):
        raise PairingError(
            f"{len(images)} input image(s) but {len(confounds)} regressor file(s); "
            "give exactly one confounds file per image, in the same order."
        )
    return list(confounds)


def plan_runs(settings: Settings, header_t_r: dict[str, float | None] | None = None) -> list[RunPlan]:
    """Expand inputs, pair confounds and resolve each image's TR.

    Parameters
    ----------
    settings : Settings
        Validated settings.
    header_t_r : dict, optional
        TR read from each image header (``pixdim[4]``), by image path.

    Returns
    -------
    list of RunPlan
        One plan per image, in natural order.

    Raises
    ------
    SettingsError
        If no input image is given.
    PairingError
        If confounds cannot be paired with images.
    """
    if not settings.input_files:
        raise SettingsError(
            "'input_files' is required: give one or more 4D NIfTI images "
            "(-i/--input_files or the config key)."
        )
    images = expand_files(settings.input_files, "input_files")
    confounds = expand_files(settings.regressor_files, "regressor_files")
    paired = pair_confounds(images, confounds)
    stems = _unique_stems(images)
    plans = []
    for image, conf, stem in zip(images, paired, stems):
        t_r, source = settings.t_r, "parameter" if settings.t_r is not None else None
        if t_r is None:
            t_r = read_sidecar_t_r(image)
            source = "sidecar" if t_r is not None else None
        if t_r is None and header_t_r is not None and header_t_r.get(image):
            t_r, source = header_t_r[image], "header"
        plans.append(RunPlan(image=image, confounds=conf, t_r=t_r, t_r_source=source, stem=stem))
    return plans
