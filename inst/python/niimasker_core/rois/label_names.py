"""Region names for a labelled ROI: from a list, a TSV file, or the label values."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

from ..errors import LabelsError, RegionNamesWarning
from ..io.tables import read_user_table

__all__ = ["BACKGROUND_NAMES", "resolve_region_names"]

#: Names that mean "no region" when they lead a label list.
BACKGROUND_NAMES = frozenset({"background", "bg", "unknown", "none", "0", "null"})


def resolve_region_names(
    labels: Sequence[str] | str | Mapping[int, str] | None,
    region_ids: Sequence[int],
    roi_file: str,
    counted: str | None = None,
) -> tuple[list[int], list[str]]:
    """Pair region ids with names.

    Parameters
    ----------
    labels : sequence of str, str, mapping or None
        Names in ascending label order, a path to a TSV of names, a mapping
        ``{index: name}`` (an atlas look-up table: every index is a region,
        present in the image or not), or None for the numeric labels.
    region_ids : sequence of int
        The non-background label values found in the atlas, ascending.
    roi_file : str
        The atlas path, named in error messages.
    counted : str, optional
        What the regions are when the set has a fixed number of them, in
        order (``'spheres'``, ``'maps'``): then the names must be exactly one
        per region; a look-up table with other indices (an atlas's) is refused.

    Returns
    -------
    ids : list of int
        Region ids, ascending. With a BIDS ``index``/``name`` table these are
        the table's ids, so regions missing from the atlas still get a column.
    names : list of str
        One name per id.

    Raises
    ------
    LabelsError
        If the names do not match the atlas regions.
    ImageNotFoundError
        If the labels file does not exist.
    """
    ids = [int(i) for i in region_ids]
    if labels is None:
        return ids, [str(i) for i in ids]
    found_ids, names = _resolve(labels, ids, roi_file)
    if counted and found_ids != ids:
        raise LabelsError(
            "{--labels} names regions {found:text} but {file} has {count} {counted:text} "
            "(regions {expected:text}): the names do not fit this set.",
            file=roi_file,
            found=_preview(found_ids),
            count=len(ids),
            counted=counted,
            expected=_preview(ids),
            fix=f"Give one name per {counted.rstrip('s')}, in order (a list, or a "
            "table with a 'name' column), or no {--labels}.",
        )
    return found_ids, names


def _resolve(
    labels: Sequence[str] | str | Mapping[int, str],
    ids: list[int],
    roi_file: str,
) -> tuple[list[int], list[str]]:
    if isinstance(labels, str):
        return _from_table(labels, ids, roi_file)
    if isinstance(labels, Mapping):
        table = "the atlas look-up table"
        return _from_pairs(dict(labels), ids, roi_file, (table, table))
    names = [str(name) for name in labels]
    if len(names) == len(ids) + 1 and _is_background(names[0]):
        names = names[1:]
    elif len(names) == len(ids) and len(ids) > 1 and _is_background(names[0]):
        # nilearn 0.14 reads such a list as naming label 0 too, pads the last
        # region with 'unknown' and warns; taken as given, every name would be
        # one region off. Neither is safe without asking.
        raise LabelsError(
            f"'labels' has {len(names)} names for the {len(ids)} regions of "
            f"'{roi_file}' (labels {_preview(ids)}), but the first, {names[0]!r}, "
            "names the background, so every name would be one region off. Give "
            f"the {len(ids)} region names without it, or {len(ids) + 1} names with "
            "the background first."
        )
    if len(names) != len(ids):
        raise LabelsError(
            f"'labels' has {len(names)} names but '{roi_file}' has {len(ids)} regions "
            f"(labels {_preview(ids)}). Give one name per non-zero label, in "
            "ascending label order, or a TSV with 'index' and 'name' columns."
        )
    return ids, _make_unique(_check_printable(names, "'labels'"), "'labels'")


def _is_background(name: str) -> bool:
    return name.strip().lower() in BACKGROUND_NAMES


def _check_printable(names: list[str], where: str) -> list[str]:
    """Refuse names holding a tab or a line break, which would break a TSV row.

    Raises
    ------
    LabelsError
        Naming the first offending name.
    """
    kinds = {"\t": "a tab", "\n": "a newline", "\r": "a carriage return"}
    for position, name in enumerate(names, start=1):
        bad = [kind for char, kind in kinds.items() if char in name]
        if bad:
            raise LabelsError(
                f"Region name {position} in {where} ({name!r}) contains "
                f"{' and '.join(bad)}; names become column headers of tab-separated "
                "tables, where it would shift every value after it by a column. "
                "Rename the region (e.g. replace tabs and line breaks with spaces)."
            )
    return names


def _from_table(
    path: str, ids: list[int], roi_file: str
) -> tuple[list[int], list[str]]:
    table = read_user_table(path, what="'labels' file", error=LabelsError, as_text=True)
    columns = {c.strip().lower(): c for c in table.columns}
    if "index" in columns and "name" in columns:
        try:
            table_ids = [int(float(v)) for v in table[columns["index"]]]
        except ValueError:
            raise LabelsError(
                f"The 'index' column of '{path}' must hold whole numbers."
            ) from None
        repeated = sorted({i for i in table_ids if table_ids.count(i) > 1})
        if repeated:
            raise LabelsError(
                f"The 'index' column of '{path}' repeats index "
                f"{_preview(repeated)}, so a region would have two names. Keep one "
                "row per index."
            )
        pairs = dict(zip(table_ids, table[columns["name"]]))
        return _from_pairs(
            pairs,
            ids,
            roi_file,
            (f"the 'index' column of '{path}'", f"the 'name' column of '{path}'"),
        )
    for key in ("labels", "label", "name"):
        if key in columns:
            return _resolve(list(table[columns[key]]), ids, roi_file)
    raise LabelsError(
        f"'labels' file '{path}' needs a 'Labels' (or 'Label') column, or BIDS "
        f"'index' and 'name' columns. Found columns: {', '.join(table.columns)}."
    )


def _from_pairs(
    pairs: dict[int, str], ids: list[int], roi_file: str, where: tuple[str, str]
) -> tuple[list[int], list[str]]:
    """Every id of a look-up table is a region (absent ones too), except background 0."""
    pairs = {int(i): str(n) for i, n in pairs.items() if int(i) != 0}
    missing = sorted(set(ids) - set(pairs))
    if missing:
        raise LabelsError(
            f"'{roi_file}' has labels {_preview(missing)} that are not in {where[0]}. "
            "Add them to the table or fix the atlas."
        )
    table_order = sorted(pairs)
    names = _check_printable([pairs[i] for i in table_order], where[1])
    return table_order, _make_unique(names, where[1])


def _make_unique(names: list[str], where: str) -> list[str]:
    """Return ``names`` with repeats suffixed ``.1``, ``.2`` (as R and pandas do), warning.

    A repeated name (the seed README's example config repeats "region2") would
    give two columns of the same name, which tables and R cannot tell apart.
    """
    counts: dict[str, int] = {}
    unique: list[str] = []
    taken = set(names)
    for name in names:
        if name not in counts:
            counts[name] = 0
            unique.append(name)
            continue
        counts[name] += 1
        candidate = f"{name}.{counts[name]}"
        while candidate in taken:
            counts[name] += 1
            candidate = f"{name}.{counts[name]}"
        taken.add(candidate)
        unique.append(candidate)
    renamed = [f"{old} -> {new}" for old, new in zip(names, unique) if old != new]
    if renamed:
        warnings.warn(
            RegionNamesWarning(
                "Region names must be unique but {where:text} repeats some; renamed "
                "{renamed:text}. Check that the names match the atlas labels.",
                where=where,
                renamed=", ".join(renamed[:5]) + (", ..." if len(renamed) > 5 else ""),
            ),
            stacklevel=3,
        )
    return unique


def _preview(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:8])
    return shown + (", ..." if len(values) > 8 else "")
