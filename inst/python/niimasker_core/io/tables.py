"""Reading the small tables users give: confounds, region labels, sphere coordinates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImageNotFoundError, NiimaskerError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MISSING_VALUES", "read_user_table"]

#: What fMRIPrep and BIDS write for a missing value, plus spreadsheet spellings.
MISSING_VALUES = ["n/a", "N/A", "NaN", "nan", ""]


def read_user_table(
    path: str, *, what: str, error: type[NiimaskerError], as_text: bool = False
) -> pd.DataFrame:
    """Read a TSV (or, by its ``.csv`` extension, CSV) file with a header row.

    Parameters
    ----------
    path : str
        The file.
    what : str
        How messages name the file, e.g. ``"confounds file"``.
    error : type
        The :class:`NiimaskerError` subclass raised when it cannot be parsed.
    as_text : bool
        Keep every cell as text (no missing-value conversion); otherwise
        numbers are parsed and :data:`MISSING_VALUES` become NaN.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    NiimaskerError
        ``error``, if the file cannot be parsed.
    """
    import pandas as pd  # pandas: only with tables

    if not Path(path).is_file():
        raise ImageNotFoundError(f"The {what} was not found: '{path}'.")
    sep = "," if path.lower().endswith(".csv") else "\t"
    options = (
        {"dtype": str, "keep_default_na": False}
        if as_text
        else {"na_values": MISSING_VALUES}
    )
    try:
        return pd.read_csv(path, sep=sep, **options)
    except Exception as exc:
        raise error(f"Cannot read the {what} '{path}': {exc}") from None
