"""Connectivity matrices of a batch: each image's kinds, and ``tangent`` at the batch's end.

Each image's matrices (every kind but ``tangent``) are computed from its
cleaned table's kept volumes (censored volumes out, also when
``output_volumes='interpolated'`` writes them back) and written beside its
timeseries, before its sidecar, so resuming checks them with the other
outputs. ``tangent`` is relative to the batch's geometric mean: it is made
when every image is done, by a run without ``shard`` (as the report), from
the tables on disk (so a resumed, sharded or Dask batch gives the same
bytes), or from the values in memory when nothing is written.

The math is :mod:`niimasker_core.signal.connectivity` and
:mod:`niimasker_core.signal.tangent`; file names come from
:mod:`niimasker_core.io.formats` (``OutputNames.relmat``: the seed's names or BIDS ones).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.parts import in_parts
from ..errors import ConnectivityError, UnusedOptionWarning
from ..io.formats import (
    FORMATS,
    OutputNames,
    read_relmat,
    relmat_sidecar,
    sidecar_of,
    write_relmat,
)
from ..io.writers import write_json
from ..params.options import ConnectivityOptions
from ..signal.connectivity import Connectome, image_connectomes
from ..signal.tangent import require_two_tables, tangent_connectomes
from .outcome import ImageResult

__all__ = [
    "add_tangents",
    "check_tangent_images",
    "image_matrices",
    "kept_rows",
    "planned_relmats",
    "read_relmats",
    "write_relmats",
]


def kept_rows(volumes: Sequence[int], censored: Sequence[int]) -> np.ndarray:
    """Return which rows of a table are kept volumes (not censored ones interpolated)."""
    out = set(int(v) for v in censored)
    return np.array([int(v) not in out for v in volumes], dtype=bool)


def _kept_values(result: ImageResult) -> np.ndarray:
    rows = kept_rows(result.volumes, result.sidecar.get("CensoredVolumes", []))
    return np.asarray(result.values, dtype=np.float64)[rows]


def image_matrices(
    result: ImageResult, options: ConnectivityOptions
) -> dict[str, Connectome]:
    """Return one image's matrices of every asked kind but ``tangent``, by kind.

    Raises
    ------
    ConnectivityError
        If a kind that inverts the covariance meets a singular one.
    """
    return image_connectomes(
        _kept_values(result),
        result.columns,
        options.connectivity,
        options.connectivity_estimator,
        use_fisher_z=options.fisher_z,
        image=result.image,
    )


def planned_relmats(names: Any, kinds: Sequence[str]) -> list[str]:
    """Return the names of the matrices and sidecars of an image's ROI set.

    ``names`` is the set's :class:`~niimasker_core.io.formats.OutputNames`
    (anything with ``relmat(kind)``, a name relative to the output folder).
    """
    planned = []
    for kind in kinds:
        table = names.relmat(kind)
        planned += [table, str(relmat_sidecar(table))]
    return planned


def _sidecar(
    kind: str, matrix: Connectome, estimator: str, extra: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "Kind": kind,
        "Estimator": estimator,
        "FisherZ": matrix.fisher_z,
        "NumberOfVolumes": matrix.n_volumes,
        "NodesLeftOut": list(matrix.left_out),
        "Description": "Computed on the kept volumes of the cleaned timeseries "
        "(censored and discarded volumes out), as nilearn's ConnectivityMeasure"
        f"(kind={kind!r}) with the {estimator} covariance.",
        **(extra or {}),
    }


def write_relmats(
    out: Path,
    names: Any,
    matrices: dict[str, Connectome],
    columns: Sequence[str],
    estimator: str,
    extra: dict[str, Any] | None = None,
) -> list[Path]:
    """Write each matrix where ``names.relmat(kind)`` says, and its JSON sidecar."""
    files = []
    for kind, matrix in matrices.items():
        table = out / names.relmat(kind)
        files.append(write_relmat(table, matrix.values, [str(c) for c in columns]))
        files.append(
            write_json(relmat_sidecar(table), _sidecar(kind, matrix, estimator, extra))
        )
    return files


def read_relmats(
    out: Path, names: Any, kinds: Sequence[str]
) -> dict[str, Connectome] | None:
    """Read back the matrices ``names.relmat`` names (None: one missing or unreadable)."""
    matrices = {}
    for kind in kinds:
        table = out / names.relmat(kind)
        try:
            _, values = read_relmat(table)
            meta = json.loads(relmat_sidecar(table).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        matrices[kind] = Connectome(
            kind,
            values,
            list(meta.get("NodesLeftOut", [])),
            int(meta.get("NumberOfVolumes", 0)),
            bool(meta.get("FisherZ", False)),
        )
    return matrices


def check_tangent_images(options: ConnectivityOptions, n_images: int) -> None:
    """Refuse ``tangent`` for a batch of fewer than two images, before anything runs.

    Raises
    ------
    ConnectivityError
        Naming the fix.
    """
    if "tangent" in options.connectivity and n_images < 2:
        require_two_tables(n_images)


def _table_values(
    result: ImageResult, output_dir: str | None, output_format: str
) -> tuple[list[str], np.ndarray]:
    """Return an image's columns and the kept rows of its table: from its files when written.

    A written table is read with its sidecar (which volumes were censored),
    since a batch that keeps no values has dropped them from its results.
    """
    fmt = FORMATS[output_format]
    if output_dir is None or fmt.read is None:
        return list(result.columns), _kept_values(result)
    table = Path(output_dir) / _names(result).timeseries(fmt.name)
    columns, values = fmt.read(table)
    sidecar = json.loads(sidecar_of(table).read_text(encoding="utf-8"))
    volumes = sidecar.get("OutputVolumes", range(values.shape[0]))
    rows = kept_rows(volumes, sidecar.get("CensoredVolumes", []))
    return list(columns), values[rows]


def _tables_values(
    results: Sequence[ImageResult], output_dir: str | None, output_format: str
) -> list[tuple[list[str], np.ndarray]]:
    """Return :func:`_table_values` of each result (one part of the batch, in a thread)."""
    return [_table_values(r, output_dir, output_format) for r in results]


def _names(result: ImageResult) -> Any:
    """Return the names of a result's outputs (the seed's, from its stem, if unknown)."""
    return result.names if result.names is not None else OutputNames(result.stem)


def add_tangents(
    results: list[ImageResult],
    options: ConnectivityOptions,
    output_dir: str | None,
    formats: dict[str | None, str],
) -> list[str]:
    """Compute each ROI set's ``tangent`` matrices over the batch; write and attach them.

    Parameters
    ----------
    results : list of ImageResult
        Every image's result (read back or made), failed images left out.
    options : ConnectivityOptions
        The batch's connectivity.
    output_dir : str or None
        Where the tables are (and the matrices go); None: from memory.
    formats : dict
        Each ROI set's (``atlas``) output format.

    Returns
    -------
    list of str
        The files written.
    """
    if "tangent" not in options.connectivity:
        return []
    written: list[str] = []
    for atlas in dict.fromkeys(r.atlas for r in results):
        group = [r for r in results if r.atlas == atlas]
        if len(group) < 2:
            warnings.warn(
                UnusedOptionWarning(
                    "{parameter} 'tangent' needs two or more images, and only "
                    "{count} finished{set:text}; no tangent matrix was made.",
                    parameter="connectivity",
                    count=len(group),
                    set="" if atlas is None else f" for ROI set '{atlas}'",
                ),
                stacklevel=2,
            )
            continue
        fmt = formats.get(atlas, "tsv")
        read = [
            table
            for part in in_parts(_tables_values, group, output_dir, fmt)
            for table in part
        ]
        columns, tables = read[0][0], [values for _, values in read]
        try:
            matrices = tangent_connectomes(
                tables,
                columns,
                options.connectivity_estimator,
                [r.image for r in group],
            )
        except ConnectivityError as exc:
            warnings.warn(
                UnusedOptionWarning(
                    exc.template,
                    parameter=exc.parameter,
                    file=exc.file,
                    fix=exc.fix,
                    **exc.parts,
                ),
                stacklevel=2,
            )
            continue
        reference = {"ReferenceImages": [r.image for r in group]}
        for result, matrix in zip(group, matrices):
            if result.columns:  # a result whose values were dropped keeps no matrix
                result.connectivity = {**result.connectivity, **matrix}
            if output_dir is not None:
                files = write_relmats(
                    Path(output_dir),
                    _names(result),
                    matrix,
                    columns,
                    options.connectivity_estimator,
                    reference,
                )
                result.files = [*result.files, *(str(f) for f in files)]
                written += [str(f) for f in files]
    return written
