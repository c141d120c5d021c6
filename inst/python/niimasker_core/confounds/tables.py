"""Reading a confounds file: a table with a header row, or headerless numbers.

fMRIPrep writes TSVs with a header row and ``n/a`` for missing values; SPM
(``rp_*.txt``), FSL MCFLIRT (``.par``) and AFNI (``.1D``) write
whitespace-separated numbers with no header. Both are read into a table with
named columns; a headerless file's columns are named after its known layout
(:data:`HEADERLESS_LAYOUTS`) or ``c1``, ``c2``, ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfoundsError, ImageNotFoundError
from ..io.tables import read_user_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HEADERLESS_LAYOUTS", "read_confounds_table"]

#: Column names of headerless motion files whose layout is known, by a regular
#: expression on the file name and their number of columns.
HEADERLESS_LAYOUTS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    (
        "SPM realignment parameters (rp_*.txt): translations in mm, rotations in "
        "radians",
        r"^rp_.*\.txt$",
        6,
        ("trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"),
    ),
    (
        "FSL MCFLIRT parameters (*.par): rotations in radians, translations in mm",
        r"\.par$",
        6,
        ("rot_x", "rot_y", "rot_z", "trans_x", "trans_y", "trans_z"),
    ),
)


def read_confounds_table(path: str) -> pd.DataFrame:
    """Read a confounds TSV/CSV with a header row, or a headerless table of numbers.

    A file whose first line is all numbers has no header: its values are
    split on whitespace (commas for ``.csv``) and its columns named as in
    :data:`HEADERLESS_LAYOUTS` when the file name and column count match a
    known layout, ``c1``, ``c2``, ... otherwise. ``table.attrs["header"]``
    then describes the naming (for the sidecar).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ConfoundsError
        If it is empty, has a header but no rows, or cannot be parsed.
    """
    first_line = _first_line(path)
    if first_line is None:
        raise ConfoundsError(
            f"Confounds file '{path}' is empty. Give one row per volume (a header "
            "row first, as fMRIPrep writes, or numbers only)."
        )
    if _all_numbers(first_line):
        return _read_headerless(path)
    table = read_user_table(path, what="confounds file", error=ConfoundsError)
    if table.shape[1] == 0:
        raise ConfoundsError(f"Confounds file '{path}' has no columns.")
    if len(table) == 0:
        raise ConfoundsError(
            f"Confounds file '{path}' has a header row ({table.shape[1]} columns) "
            "but no data rows; it needs one row per volume. Check that the file was "
            "written completely."
        )
    return table


def _first_line(path: str) -> str | None:
    if not Path(path).is_file():
        raise ImageNotFoundError(f"The confounds file was not found: '{path}'.")
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line
    return None


def _all_numbers(line: str) -> bool:
    cells = re.split(r"[\s,]+", line.strip())
    try:
        [float(cell) for cell in cells]
    except ValueError:
        return False
    return True


def _read_headerless(path: str) -> pd.DataFrame:
    import pandas as pd  # pandas: only with tables

    sep = r"\s*,\s*" if path.lower().endswith(".csv") else r"\s+"
    try:
        table = pd.read_csv(
            path, sep=sep, header=None, engine="python", comment="#", dtype=float
        )
    except Exception as exc:
        raise ConfoundsError(
            f"Cannot read the headerless confounds file '{path}' as a table of "
            f"numbers: {exc}. Every row must have the same number of values."
        ) from None
    name = Path(path).name
    known = [
        (layout, names)
        for layout, pattern, n_columns, names in HEADERLESS_LAYOUTS
        if re.search(pattern, name, flags=re.IGNORECASE) and n_columns == table.shape[1]
    ]
    if known:
        layout, names = known[0]
        table.columns = list(names)
    else:
        layout = "no header: columns named c1, c2, ... in file order"
        table.columns = [f"c{k}" for k in range(1, table.shape[1] + 1)]
    table.attrs["header"] = {
        "HasHeader": False,
        "Layout": layout,
        "Columns": list(table.columns),
    }
    return table
