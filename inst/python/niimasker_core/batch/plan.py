"""Which image goes with which confounds file and TR, and what its outputs are called.

Wildcard patterns are expanded and naturally sorted (``run-2`` before
``run-10``). Confound files are paired with images by BIDS entities when both
have BIDS names (:mod:`niimasker_core.io.bids`), otherwise by sorted order with a
count check. The TR comes from ``t_r``, else the image's BIDS JSON sidecar,
else the NIfTI header; a given ``t_r`` that disagrees with either is warned about.
"""

from __future__ import annotations

import glob
import json
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..confounds.strategies import ConfoundSpec, resolve_spec
from ..domains.registry import (
    image_sidecar_path,
    image_stem_of,
    join_halves,
    reader_of,
)
from ..errors import (
    ImageNotFoundError,
    InputFileError,
    PairingError,
    RepetitionTimeWarning,
    SettingsError,
    UnusedOptionWarning,
)
from ..io.bids import is_bids_name, pair_by_entities, source_entities
from ..io.formats import OutputNames
from ..params.declarations import PARAMETERS
from ..params.options import ConfoundOptions
from ..params.settings import Settings
from ..rois.registry import is_query
from ..rois.sets import roi_set_names
from ..rois.surface_labels import region_format

__all__ = [
    "RunPlan",
    "expand_files",
    "natural_key",
    "pair_confounds",
    "plan_runs",
    "read_sidecar_t_r",
    "resolve_t_r",
]


@dataclass(frozen=True)
class RunPlan:
    """One image to process: its confounds, TR and output stem.

    ``image`` names it; an image held in two files (a surface run's two
    hemispheres) has the other in ``companions``.
    """

    image: str
    confounds: str | None
    t_r: float | None
    t_r_source: str | None  # 'parameter', 'sidecar', 'header' or None
    stem: str
    pairing: str | None = None  # 'bids', 'order' or None (no confounds)
    spec: ConfoundSpec | None = None  # the batch's confound choice (with confounds)
    companions: tuple[str, ...] = ()  # the image's other files (a hemisphere)
    entities: tuple[tuple[str, str], ...] | None = None  # output_layout='bids'
    statistic: str = "mean"  # the BIDS layout's stat- entity: the regions' strategy
    # volumes averaged as the image streams, for the report's overlay (0: none)
    report_mean: int = 0

    def names(self, set_name: str, suffix: str = "") -> OutputNames:
        """Return the names of the outputs of one ROI set (``suffix``: flat layout's)."""
        return OutputNames(self.stem + suffix, self.entities, set_name, self.statistic)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the image is made of, ``image`` first."""
        return (self.image, *self.companions)


def natural_key(text: str) -> list:
    """Return a sort key that orders embedded numbers numerically."""
    return [
        int(part) if part.isdigit() else part.lower()
        for part in re.split(r"(\d+)", text)
    ]


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
        The matching files, each once; explicit lists keep the user's order.

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
                    "{parameter} pattern {value} matches no file.",
                    parameter=parameter,
                    value=pattern,
                    fix={
                        "python": "Check the pattern, and quote it so that the shell "
                        "does not expand it.",
                        "r": "Check the pattern.",
                    },
                )
            files.extend(matches)
        else:
            if not Path(pattern).is_file():
                raise ImageNotFoundError(
                    "{parameter} file not found: {file}.",
                    parameter=parameter,
                    file=pattern,
                )
            files.append(pattern)
    _warn_repeated(files, parameter)
    return list(dict.fromkeys(files))  # a file matched twice is used once


def _unique_stems(images: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    stems = [image_stem_of(p, c) for p, c in images]
    if len(set(stems)) == len(stems):
        return stems
    # Same file name in different folders: prefix with the parent folders.
    return [
        "_".join(Path(p).parent.parts[-2:] + (stem,)).replace("/", "_")
        for (p, _), stem in zip(images, stems)
    ]


def read_sidecar_t_r(image: str) -> float | None:
    """Return ``RepetitionTime`` (seconds) from the image's BIDS JSON sidecar, if any.

    Raises
    ------
    InputFileError
        If the sidecar exists but is not valid JSON or its ``RepetitionTime``
        is not a positive number.
    """
    sidecar = image_sidecar_path(image)
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text()).get("RepetitionTime")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputFileError(
            f"The JSON sidecar '{sidecar}' of '{image}' cannot be read ({exc}). "
            "Fix the file, or give 't_r' explicitly."
        ) from None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputFileError(
            f"The JSON sidecar '{sidecar}' of '{image}' has RepetitionTime={value!r}; "
            "it must be a positive number of seconds. Fix it, or give 't_r'."
        )
    return float(value)


def resolve_t_r(image: str, given: float | None) -> tuple[float | None, str | None]:
    """Return the TR of ``image`` and where it came from.

    The order is: the ``t_r`` parameter, the BIDS JSON sidecar
    (``RepetitionTime``), the NIfTI header (``pixdim[4]`` in its units).

    Parameters
    ----------
    image : str
        The image path.
    given : float or None
        The ``t_r`` parameter.

    Returns
    -------
    t_r : float or None
        Seconds, or None when no source has it.
    source : {'parameter', 'sidecar', 'header', None}
        Which source was used.

    Warns
    -----
    RepetitionTimeWarning
        When a given ``t_r`` disagrees with the sidecar or the header.
    """
    sidecar = read_sidecar_t_r(image)
    header = (
        reader_of(image).header_t_r(image)
        if sidecar is None or given is not None
        else None
    )
    if given is not None:
        disagree = {
            where: value
            for where, value in (("sidecar", sidecar), ("header", header))
            if value is not None and not math.isclose(value, given, rel_tol=1e-3)
        }
        if disagree:
            says = {
                "sidecar": "the JSON sidecar says",
                "header": f"{reader_of(image).header} says",
            }
            warnings.warn(
                RepetitionTimeWarning(
                    "{parameter} is {value:g} s but for {file} "
                    + " and ".join(f"{says[w]} {{{w}:g}} s" for w in disagree)
                    + "; using {parameter:bare}={value:g}. Check which is right.",
                    parameter="t_r",
                    value=given,
                    file=image,
                    **disagree,
                ),
                stacklevel=3,
            )
        return given, "parameter"
    if sidecar is not None:
        return sidecar, "sidecar"
    if header is not None:
        return header, "header"
    return None, None


def _warn_unused(settings: Settings, has_confounds: bool) -> None:
    """Say which given options this batch does not use, and what it does instead."""
    if settings.discard_scans == "auto" and not has_confounds:
        warnings.warn(
            UnusedOptionWarning(
                "{parameter} is 'auto', which finds non-steady-state volumes in the "
                "confounds, but no {--regressor_files} are given: no volume is "
                "discarded.",
                parameter="discard_scans",
                value="auto",
                fix="Give {--regressor_files}, or {parameter} as a number of volumes.",
            ),
            stacklevel=3,
        )
    if settings.roi_file is not None:
        _warn_unused_with_regions(settings)
    if settings.output_format not in (None, "tsv") and settings.roi_file is not None:
        paths = [path for _, path in roi_set_names(settings.roi_file)]
        if all(region_format(p, settings.output_format) != "tsv" for p in paths):
            return  # 'cifti': surface atlases' tables are written as .ptseries.nii too
        warnings.warn(
            UnusedOptionWarning(
                "{parameter} {value} applies to voxel extraction (no {--roi_file}) "
                "and, for 'cifti', to surface atlases; other region tables are "
                "written as TSV.",
                parameter="output_format",
                value=settings.output_format,
                fix="Drop {parameter}, or drop {--roi_file} to extract every voxel.",
            ),
            stacklevel=3,
        )


def _warn_unused_with_regions(settings: Settings) -> None:
    """Say which voxel or sphere options a run with ``roi_file`` does not use."""
    paths = [path for _, path in roi_set_names(settings.roi_file)]
    spheres = any(is_query(p) or p.lower().endswith((".tsv", ".csv")) for p in paths)
    if settings.radius is not None and not spheres:
        warnings.warn(
            UnusedOptionWarning(
                "{parameter} {value} applies to spheres around coordinates (a .tsv "
                "or .csv {--roi_file}); this {--roi_file} has none, so it is not used.",
                parameter="radius",
                value=settings.radius,
                fix="Drop {parameter}.",
            ),
            stacklevel=4,
        )
    if settings.mask_strategy != _DEFAULT_MASK_STRATEGY:
        warnings.warn(
            UnusedOptionWarning(
                "{parameter} {value} computes a mask for voxel extraction (no "
                "{--roi_file}); with {--roi_file} it is not used.",
                parameter="mask_strategy",
                value=settings.mask_strategy,
                fix="Drop {parameter}; to restrict the regions to a mask, give "
                "{--mask_img}.",
            ),
            stacklevel=4,
        )


#: mask_strategy's declared default: any other value was chosen by the user.
_DEFAULT_MASK_STRATEGY = next(
    p.default for p in PARAMETERS if p.name == "mask_strategy"
)


def _warn_repeated(files: list[str], parameter: str) -> None:
    """Say that files given (or matched) more than once are used once."""
    seen: set[str] = set()
    repeated = list(dict.fromkeys(f for f in files if f in seen or seen.add(f)))
    if repeated:
        warnings.warn(
            UnusedOptionWarning(
                "{n} file(s) of {parameter} are given more than once and used once: "
                "{listed:text}.",
                parameter=parameter,
                value=repeated,
                n=len(repeated),
                listed=", ".join(repeated[:5]) + (", ..." if len(repeated) > 5 else ""),
                fix="Give each file once.",
            ),
            stacklevel=4,
        )


def pair_confounds(
    images: list[str], confounds: list[str]
) -> tuple[list[str | None], str | None]:
    """Return the confounds file of each image, in image order, and the rule used.

    Files with BIDS names (``sub-...``) on both sides are paired by entities
    (:func:`niimasker_core.io.bids.pair_by_entities`); otherwise by natural
    order, which needs exactly one confounds file per image.

    Returns
    -------
    paired : list of str or None
        The confounds file of each image (None when no ``regressor_files``).
    rule : {'bids', 'order', None}
        How they were paired.

    Raises
    ------
    PairingError
        If the files cannot be paired one-to-one.
    """
    if not confounds:
        return [None] * len(images), None
    if all(is_bids_name(p) for p in images) and all(is_bids_name(c) for c in confounds):
        paired, unused = pair_by_entities(images, confounds)
        if unused:
            warnings.warn(
                UnusedOptionWarning(
                    "{n} file(s) of {parameter} match no input image and are not used: "
                    "{listed:text}.",
                    parameter="regressor_files",
                    value=list(unused),
                    n=len(unused),
                    listed=", ".join(unused[:5]) + (", ..." if len(unused) > 5 else ""),
                ),
                stacklevel=2,
            )
        return list(paired), "bids"
    if len(confounds) != len(images):
        raise PairingError(
            f"{len(images)} input image(s) but {len(confounds)} regressor file(s), and "
            "the names are not all BIDS names (sub-..._task-..._bold.nii.gz), so they "
            "are paired by sorted order. Give exactly one confounds file per image, "
            "or use BIDS names so that files are paired by their entities. Images: "
            + ", ".join(images[:3])
            + (", ..." if len(images) > 3 else "")
            + "; confounds: "
            + ", ".join(confounds[:3])
            + (", ..." if len(confounds) > 3 else "")
            + "."
        )
    return list(confounds), "order"


def plan_runs(settings: Settings, choice: ConfoundOptions) -> list[RunPlan]:
    """Expand inputs, pair confounds, resolve the confound choice and each image's TR.

    Everything here is resolved once per batch and carried in the plans: the
    TR and its source, and the confound specification.

    Parameters
    ----------
    settings : Settings
        Validated settings.
    choice : ConfoundOptions
        The batch's choice of confounds (resolved once here).

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
            {
                "python": "{parameter} is required: give one or more 4D NIfTI images "
                "(-i/--input_files or the config key).",
                "r": "{parameter} is required: give one or more 4D NIfTI images.",
            },
            parameter="input_files",
        )
    halves = join_halves(expand_files(settings.input_files, "input_files"))
    images = [path for path, _ in halves]
    confounds = expand_files(settings.regressor_files, "regressor_files")
    paired, rule = pair_confounds(images, confounds)
    if settings.regressors and not confounds:
        raise SettingsError(
            "{parameter} is {value} but no {--regressor_files} were given, so there "
            "is nothing to choose from.",
            parameter="regressors",
            value=list(settings.regressors),
            fix="Give {--regressor_files} (e.g. {example}) or drop {parameter}.",
            example="fmriprep/sub-*/func/*desc-confounds_timeseries.tsv",
        )
    _warn_unused(settings, bool(confounds))
    _check_min_coverage(settings)
    spec = None
    if confounds:
        spec = resolve_spec(choice)
        if spec.unused:
            warnings.warn(
                UnusedOptionWarning(
                    "{parameter} {value} does not use the option(s) "
                    + ", ".join(f"{{--{o}}}" for o in spec.unused)
                    + "; they are ignored.",
                    parameter="regressors",
                    value=list(settings.regressors or []),
                    options=list(spec.unused),
                ),
                stacklevel=2,
            )
    stems = _unique_stems(halves)
    entities = _bids_entities(settings, images)
    plans = []
    for (image, companions), conf, stem, own in zip(halves, paired, stems, entities):
        t_r, source = resolve_t_r(image, settings.t_r)
        plans.append(
            RunPlan(
                image=image,
                confounds=conf,
                t_r=t_r,
                t_r_source=source,
                stem=stem,
                pairing=rule,
                spec=None if conf is None else spec,
                companions=companions,
                entities=own,
                statistic=re.sub(r"[^A-Za-z0-9]", "", settings.strategy),
            )
        )
    return plans


def _check_min_coverage(settings: Settings) -> None:
    """Refuse ``min_coverage`` where columns are voxels, not regions (no coverage)."""
    if settings.min_coverage is None:
        return
    if settings.roi_file is None or settings.as_voxels:
        raise SettingsError(
            "{parameter} makes a region n/a when too little of it is covered, but "
            "the columns here are single voxels or vertices ("
            + ("no {--roi_file}" if settings.roi_file is None else "{--as_voxels}")
            + "), which have no coverage.",
            parameter="min_coverage",
            value=settings.min_coverage,
            fix="Drop {parameter}, or extract regions.",
        )


def _bids_entities(
    settings: Settings, images: list[str]
) -> list[tuple[tuple[str, str], ...] | None]:
    """Return each image's source entities for ``output_layout='bids'`` (else None).

    Raises
    ------
    SettingsError
        If an image has no BIDS name, there is no ``roi_file``, or two
        images have the same entities (their outputs would have one name).
    """
    if settings.output_layout != "bids":
        return [None] * len(images)
    if settings.roi_file is None:
        raise SettingsError(
            "{parameter} 'bids' names each output after its ROI set (atlas-<set>), "
            "but no {--roi_file} is given.",
            parameter="output_layout",
            value="bids",
            fix="Give {--roi_file}, or drop {parameter} for voxel extraction.",
        )
    found = []
    for image in images:
        entities = source_entities(image)
        if not entities:
            raise SettingsError(
                "{parameter} 'bids' names outputs after the BIDS entities of each "
                "image, and {file} has no BIDS name (sub-<label>_..._bold.nii.gz).",
                parameter="output_layout",
                value="bids",
                file=image,
                fix="Rename the image (or link it) with a BIDS name, or drop "
                "{parameter}.",
            )
        found.append(tuple(entities.items()))
    repeated = [image for image, key in zip(images, found) if found.count(key) > 1]
    if repeated:
        raise SettingsError(
            "{parameter} 'bids': {file} and {other} have the same BIDS entities, so "
            "their outputs would have one name.",
            parameter="output_layout",
            value="bids",
            file=repeated[0],
            other=repeated[1],
            fix="Give one of them, or drop {parameter}.",
        )
    return found
