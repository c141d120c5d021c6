"""Output writers. Every file is written to a temporary name and renamed when complete."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import OutputError

__all__ = [
    "atomic_path",
    "write_json",
    "write_nifti",
    "write_npy",
    "write_rows",
    "write_table",
]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it to ``target`` on success.

    Raises
    ------
    OutputError
        If the folder cannot be created or written.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        suffix = "".join(target.suffixes)
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp{suffix}"
        # Created with open(), not mkstemp: mkstemp's 0600 mode would survive
        # the rename and hide the outputs from the rest of the lab; open()
        # honours the user's umask like any other file they write.
        with open(tmp, "x"):
            pass
    except OSError as exc:
        raise OutputError(
            f"Cannot write to '{target.parent}': {exc.strerror}."
        ) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_table(
    target: str | Path,
    values: np.ndarray,
    columns: Sequence[str],
    *,
    float_format: str = "%.9g",
) -> Path:
    """Write a ``(rows, columns)`` array as a tab-separated table with a header.

    NaN is written as ``n/a`` (BIDS). No index column is written.
    """
    values = np.asarray(values, dtype=np.float64)
    # One format string per row is ~4x faster than formatting cell by cell
    # (np.char.mod), which matters for voxel tables of millions of cells.
    row_format = "\t".join([float_format] * values.shape[1])
    missing = np.isnan(values).any(axis=1)
    with atomic_path(target) as tmp, open(tmp, "w") as handle:
        handle.write("\t".join(columns) + "\n")
        for row, has_nan in zip(values.tolist(), missing.tolist()):
            line = row_format % tuple(row)
            if has_nan:
                line = "\t".join(
                    "n/a" if cell == "nan" else cell for cell in line.split("\t")
                )
            handle.write(line + "\n")
    return Path(target)


def write_rows(target: str | Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Write a list of dicts (same keys) as a TSV."""
    keys = list(rows[0]) if rows else []
    lines = ["\t".join(keys)]
    for row in rows:
        lines.append("\t".join(_cell(row[k]) for k in keys))
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return Path(target)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if np.isnan(value) else f"{value:.6g}"
    return str(value)


def write_json(target: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON (numpy scalars and arrays converted)."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return Path(target)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_npy(target: str | Path, values: np.ndarray) -> Path:
    """Write an array as ``.npy`` atomically."""
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        np.save(handle, values)
    return Path(target)


def write_nifti(target: str | Path, img: Any) -> Path:
    """Write a nibabel image atomically."""
    with atomic_path(target) as tmp:
        img.to_filename(str(tmp))
    return Path(target)
