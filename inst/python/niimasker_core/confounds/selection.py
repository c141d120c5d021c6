"""Confound tables: reading, choosing columns or a strategy, and the volumes to keep.

A confounds file is a TSV (or CSV) with a header row, one row per volume,
``n/a`` for missing values, as fMRIPrep writes them; or a headerless table of
whitespace-separated numbers (SPM ``rp_*.txt``, FSL ``.par``, AFNI ``.1D``),
whose columns are named after the known layout
(:data:`~niimasker_core.confounds.tables.HEADERLESS_LAYOUTS`) or ``c1``,
``c2``, ... ``regressors`` chooses columns by name (shell
wildcards such as ``a_comp_cor_*``), a preset, a nilearn strategy or nilearn
components (:mod:`niimasker_core.confounds.strategies`); with no
``regressors`` every column is used. Like nilearn's ``load_confounds``, a
``n/a`` in the first row (derivative columns) takes the second row's value;
``n/a`` anywhere else is an error rather than a silent zero.

Named columns (or every column) mean exactly those regressors and every
volume, as ``NiftiLabelsMasker(confounds=those columns)``: nothing is
censored unless scrubbing thresholds are given, and they are never demeaned.
When the file flags non-steady-state volumes that are kept, a warning says
how to drop them (``discard_scans="auto"``). Presets and strategies keep
nilearn's ``load_confounds`` behaviour: one-hot outlier columns censor
volumes and the confounds are demeaned (``demean``).
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import (
    AromaImageError,
    ConfoundsError,
    NonSteadyStateWarning,
    TooFewVolumesError,
)
from ..params.options import ConfoundOptions
from .scrubbing import (
    combine_masks,
    outlier_sample_mask,
    scrub_sample_mask,
)
from .strategies import ConfoundSpec, load_with_nilearn, resolve_spec
from .tables import read_confounds_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConfoundSelection",
    "check_aroma_image",
    "check_volumes_left",
    "discard_count",
    "fill_first_row",
    "leading_non_steady_state",
    "load_confounds_for_image",
    "select_confounds",
]


@dataclass
class ConfoundSelection:
    """The confounds of one image, ready for cleaning.

    Attributes
    ----------
    values : numpy.ndarray or None
        ``(n_volumes, n_columns)`` for every volume of the image; None when
        the choice only censors volumes (no regressors).
    columns : list of str
        The chosen column names.
    sample_mask : numpy.ndarray or None
        Indices of volumes to keep (scrubbing), over all volumes; None keeps all.
    details : dict
        JSON-ready facts for the sidecar (strategy, censored volumes, mean FD).
    discard : int
        Leading volumes dropped (``discard_scans``, resolved when "auto").
    """

    values: np.ndarray | None
    columns: list[str]
    sample_mask: np.ndarray | None = None
    details: dict = field(default_factory=dict)
    discard: int = 0


def _match_columns(
    table: pd.DataFrame, patterns: Sequence[str], path: str
) -> list[str]:
    chosen: list[str] = []
    missing: list[str] = []
    for pattern in patterns:
        hits = [c for c in table.columns if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            missing.append(pattern)
        chosen.extend(c for c in hits if c not in chosen)
    if missing:
        raise ConfoundsError(
            "Confounds file {file} has no column(s) {value}. Its columns include: "
            "{columns:text}.",
            parameter="regressors",
            file=path,
            value=missing,
            columns=", ".join(list(table.columns)[:12])
            + (", ..." if table.shape[1] > 12 else ""),
        )
    return chosen


def _check_numeric_rows(
    table: pd.DataFrame, columns: list[str], path: str, n_volumes: int
) -> None:
    import pandas as pd  # pandas: only with tables

    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise ConfoundsError(
            "Confounds file {file} has non-numeric column(s): {columns:text}.",
            file=path,
            columns=", ".join(non_numeric),
            fix="Choose numeric columns with {--regressors}.",
        )
    if len(table) != n_volumes:
        raise ConfoundsError(
            "Confounds file {file} has {rows} rows but its image has {volumes} "
            "volumes. Each row must be one volume (before {--discard_scans}).",
            file=path,
            rows=len(table),
            volumes=n_volumes,
            fix="Check that the file belongs to this image.",
        )


def select_confounds(
    path: str,
    regressors: Sequence[str] | None,
    n_volumes: int,
    *,
    scrub: dict | None = None,
    table: pd.DataFrame | None = None,
) -> ConfoundSelection:
    """Read ``path`` and keep the ``regressors`` columns, for every volume.

    The columns are regressed as given, one-hot outlier columns included, as
    ``NiftiLabelsMasker(confounds=those columns)`` regresses them; only the
    ``scrub`` thresholds censor volumes.

    Parameters
    ----------
    path : str
        The confounds file of one image.
    regressors : sequence of str or None
        Column names or wildcard patterns; None keeps every column.
    n_volumes : int
        Volumes in the image; the file must have as many rows.
    scrub : dict, optional
        ``fd_threshold``, ``std_dvars_threshold`` (None: not applied) and
        ``scrub`` (minimum segment length) to censor high-motion volumes.
    table : pandas.DataFrame, optional
        The file, when already read.

    Returns
    -------
    ConfoundSelection
        Values for all volumes of the image, and the sample mask.

    Raises
    ------
    ConfoundsError
        If columns are missing, non-numeric, contain ``n/a`` beyond the first
        row, or the row count differs from ``n_volumes``.
    """
    table = read_confounds_table(path) if table is None else table
    columns = (
        list(table.columns)
        if not regressors
        else _match_columns(table, regressors, path)
    )
    _check_numeric_rows(table, columns, path, n_volumes)
    values = fill_first_row(table[columns].to_numpy(dtype=np.float64), columns, path)
    scrubbed = None
    if scrub is not None:
        scrubbed = scrub_sample_mask(
            table,
            fd_threshold=scrub["fd_threshold"],
            std_dvars_threshold=scrub["std_dvars_threshold"],
            scrub=scrub["scrub"],
            path=path,
        )
    mask = combine_masks(n_volumes, None, scrubbed)
    return ConfoundSelection(values=values, columns=columns, sample_mask=mask)


def _select_with_nilearn(
    path: str, spec: ConfoundSpec, n_volumes: int, table: pd.DataFrame
) -> ConfoundSelection:
    _check_numeric_rows(table, [], path, n_volumes)
    selected, mask = load_with_nilearn(path, table, spec.nilearn)
    columns = [str(c) for c in selected.columns]
    if not columns:  # e.g. only 'scrub' or 'non_steady_state': censoring, no regressors
        return ConfoundSelection(values=None, columns=[], sample_mask=mask)
    _check_numeric_rows(selected, columns, path, n_volumes)
    values = fill_first_row(selected.to_numpy(dtype=np.float64), columns, path)
    return ConfoundSelection(values=values, columns=columns, sample_mask=mask)


def check_aroma_image(spec: ConfoundSpec, image: str | None, regressors: Any) -> None:
    """Refuse full ICA-AROMA on an image that is not AROMA-denoised.

    Raises
    ------
    AromaImageError
        If ``spec`` uses full ICA-AROMA and ``image`` is not fMRIPrep's
        ``desc-smoothAROMAnonaggr_bold``.
    """
    if spec.kind in ("all", "columns") or image is None:
        return
    strategy = spec.nilearn["strategy"]
    full_aroma = "ica_aroma" in strategy and spec.nilearn.get("ica_aroma") == "full"
    if full_aroma and "AROMAnonaggr" not in Path(image).name:
        raise AromaImageError(
            f"'regressors' {list(regressors or [])} uses full ICA-AROMA, which "
            "only fits fMRIPrep's non-aggressively denoised image "
            f"(*desc-smoothAROMAnonaggr_bold.nii.gz), not '{image}'. Use that image, "
            "or ica_aroma='basic' with the ['ica_aroma', ...] components."
        )


def check_volumes_left(
    n_volumes: int,
    first: int,
    kept: int,
    n_columns: int,
    detrend: bool,
    image: str,
    path: str | None,
) -> None:
    """Raise TooFewVolumesError unless enough volumes remain for cleaning."""
    if first >= n_volumes:
        raise TooFewVolumesError(
            f"'discard_scans' is {first} but '{image}' has only "
            f"{n_volumes} volumes. Lower 'discard_scans'."
        )
    if path is not None and kept <= n_columns + 1 + int(detrend):
        raise TooFewVolumesError(
            f"Only {kept} of {n_volumes} volumes of '{image}' remain after "
            f"discarding {first} and censoring {n_volumes - first - kept}, too few "
            f"to regress {n_columns} confounds from '{path}'. Use fewer 'regressors', "
            "a looser 'fd_threshold'/'std_dvars_threshold', or fewer 'discard_scans'."
        )


def load_confounds_for_image(
    path: str,
    options: ConfoundOptions,
    n_volumes: int,
    *,
    image: str | None = None,
    spec: ConfoundSpec | None = None,
) -> ConfoundSelection:
    """Choose the confounds of one image as ``options`` ask, with the volumes to keep.

    Parameters
    ----------
    path : str
        The image's confounds file.
    options : ConfoundOptions
        ``regressors``, the strategy options, ``discard_scans``, ``demean``,
        ``detrend``.
    n_volumes : int
        Volumes in the image (before ``discard_scans``).
    image : str, optional
        The image path, for messages.
    spec : ConfoundSpec, optional
        ``options`` resolved once for the batch (resolved here when None).

    Returns
    -------
    ConfoundSelection
        ``values`` for every volume (demeaned over the kept volumes when
        ``demean``), ``sample_mask`` over every volume (None keeps all; the
        ``discard_scans`` volumes are not removed here) and ``details`` for
        the sidecar.

    Raises
    ------
    ConfoundsError
        If the file does not fit the choice or the image.
    AromaImageError
        If full ICA-AROMA is asked for an image that is not AROMA-denoised.
    TooFewVolumesError
        If too few volumes remain for the number of confounds.
    """
    spec = resolve_spec(options) if spec is None else spec
    check_aroma_image(spec, image, options.regressors)
    table = read_confounds_table(path)
    if spec.kind in ("all", "columns"):
        selection = select_confounds(
            path, spec.patterns or None, n_volumes, scrub=spec.scrub, table=table
        )
    else:
        selection = _select_with_nilearn(path, spec, n_volumes, table)
    first = discard_count(options.discard_scans, table, n_volumes, path)
    named = spec.kind in ("all", "columns")
    kept = np.arange(first, n_volumes)
    if selection.sample_mask is not None:
        kept = np.intersect1d(kept, selection.sample_mask)
    if selection.values is not None and not selection.columns:
        selection.values = None
    n_columns = len(selection.columns)
    check_volumes_left(
        n_volumes, first, kept.size, n_columns, options.detrend, image or path, path
    )
    # demean is load_confounds' option: named columns are regressed as given,
    # so that they equal NiftiLabelsMasker(confounds=those columns).
    demean = options.demean and not named
    if demean and n_columns:
        selection.values = selection.values - selection.values[kept].mean(axis=0)
    selection.discard = first
    selection.details = _details(spec, table, first, n_volumes, demean)
    if named:
        _warn_kept_non_steady_state(selection.details, first, path)
    return selection


def leading_non_steady_state(table: pd.DataFrame) -> int:
    """Return how many leading volumes the file flags as non-steady-state.

    fMRIPrep marks each with a one-hot ``non_steady_state_outlier*`` column;
    XCP-D's ``dummy_scans="auto"`` drops them. A file without such columns
    flags none.
    """
    columns = [c for c in table.columns if "non_steady_state" in str(c)]
    if not columns:
        return 0
    flagged = table[columns].fillna(0).to_numpy().sum(axis=1) != 0
    return int(np.argmin(flagged)) if not flagged.all() else len(flagged)


def discard_count(
    discard_scans: int | str, table: pd.DataFrame | None, n_volumes: int, path: str
) -> int:
    """Resolve ``discard_scans`` for one image: a count, or "auto" from its confounds.

    Parameters
    ----------
    discard_scans : int or "auto"
        The setting.
    table : pandas.DataFrame or None
        The image's confounds (None: no confounds file, so "auto" drops 0).
    n_volumes : int
        Volumes in the image.
    path : str
        The confounds file, for messages.

    Returns
    -------
    int
        Leading volumes to drop.

    Raises
    ------
    ConfoundsError
        If "auto" would drop every volume.
    """
    if discard_scans != "auto":
        return int(discard_scans)
    count = 0 if table is None else leading_non_steady_state(table)
    if count >= n_volumes:
        raise ConfoundsError(
            f"'discard_scans' is 'auto' and '{path}' flags all {n_volumes} volumes as "
            "non-steady-state, so none would remain. Check that the file belongs to "
            "the image, or give 'discard_scans' as a number."
        )
    return count


def _warn_kept_non_steady_state(details: dict, first: int, path: str) -> None:
    # in the sidecar too: R users do not see Python warnings
    kept = [v for v in details["NonSteadyStateVolumes"] if v >= first]
    details["NonSteadyStateVolumesKept"] = kept
    if not kept:
        return
    more = ", ..." if len(kept) > 8 else ""
    warnings.warn(
        NonSteadyStateWarning(
            "Confounds file {file} flags volume(s) {shown:volume}{more:text} as "
            "non-steady-state; with column-name {--regressors} every volume is kept "
            "and only the named columns are regressed.",
            file=path,
            shown=[int(v) for v in kept[:8]],
            more=more,
            fix={
                "python": "To drop them, set discard_scans='auto' (or a number), "
                "or use a strategy such as 'simple'.",
                "command": "To drop them, give --discard_scans auto (or a number), "
                "or a strategy such as --regressors simple.",
                "r": 'To drop them, set `discard_scans = "auto"` (or a number), '
                'or use a strategy such as `regressors = "simple"`.',
            },
        ),
        stacklevel=3,
    )


def _details(
    spec: ConfoundSpec, table: pd.DataFrame, first: int, n_volumes: int, demean: bool
) -> dict:
    non_steady = [c for c in table.columns if "non_steady_state" in c]
    flagged = outlier_sample_mask(table, non_steady)
    steady_out = (
        []
        if flagged is None
        else [int(v) for v in np.setdiff1d(np.arange(n_volumes), flagged)]
    )
    details = {
        "ConfoundStrategy": spec.describe(),
        "ConfoundsDemeaned": bool(demean),
        "NonSteadyStateVolumes": steady_out,
    }
    if "header" in table.attrs:
        details["ConfoundsFileHeader"] = table.attrs["header"]
    if "framewise_displacement" in table.columns:
        fd = table["framewise_displacement"].to_numpy(dtype=np.float64)[first:]
        details["MeanFramewiseDisplacement"] = (
            None if np.all(np.isnan(fd)) else round(float(np.nanmean(fd)), 6)
        )
    if spec.unused:
        details["UnusedConfoundOptions"] = list(spec.unused)
    return details


def fill_first_row(values: np.ndarray, columns: Sequence[str], path: str) -> np.ndarray:
    """Fill ``n/a`` of the first row from the second, as nilearn does; reject others.

    Raises
    ------
    ConfoundsError
        If ``n/a`` appears after the first row.
    """
    values = values.copy()
    if len(values) > 1:
        first = np.isnan(values[0])
        values[0, first] = values[1, first]
    bad = np.isnan(values).any(axis=0) | np.isinf(values).any(axis=0)
    if bad.any():
        names = [c for c, b in zip(columns, bad) if b]
        raise ConfoundsError(
            f"Confounds file '{path}' has n/a or infinite values after the first row "
            f"in: {', '.join(names[:8])}. Fill them, or leave these columns out of "
            "'regressors'."
        )
    return values
