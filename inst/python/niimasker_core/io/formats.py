"""The output formats of timeseries: their file names, writers and readers, in one table.

Each format in :data:`FORMATS` says how a ``(volumes, columns)`` table is
written (a TSV with a header; a 4D NIfTI in the space whose elements the
columns are, the voxels of a mask; a ``.npy`` array; a CIFTI dense
timeseries or a GIFTI pair for every grayordinate of a surface run; a TSV
and a CIFTI parcellated timeseries for a surface atlas's regions) and, when
it can be, read back. Writing, resuming a batch, ``read_timeseries`` (Python and R) and
the sidecars' names all go through this table, so a new format is one entry
here (and its word in :mod:`niimasker_core.params.vocabulary`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from isal import igzip

from ..errors import InputFileError
from .bids import derivative_name, relmat_stat
from .surface_outputs import (
    hemisphere_name,
    write_dense_series,
    write_gifti_pair,
    write_parcel_series,
)
from .writers import atomic_path, write_npy, write_table

__all__ = [
    "FORMATS",
    "Layout",
    "OutputFormat",
    "OutputNames",
    "format_of",
    "read_relmat",
    "read_table",
    "relmat_beside",
    "relmat_name",
    "relmat_sidecar",
    "sidecar_of",
    "timeseries_name",
    "write_relmat",
    "write_voxel_image",
]


@dataclass(frozen=True)
class Layout:
    """What a format may record beside the values: their space, parcels and times.

    Attributes
    ----------
    space : object or None
        The image whose elements the columns are: a mask (NIfTI), or a
        :class:`nibabel.cifti2.BrainModelAxis` of grayordinates.
    parcels : object or None
        For regions, a :class:`nibabel.cifti2.ParcelsAxis` (their names,
        vertices and voxels) when the format writes one.
    t_r : float or None
        The repetition time, in seconds.
    volumes : sequence of int
        The image volume of each row.
    """

    space: Any = None
    parcels: Any = None
    t_r: float | None = None
    volumes: Sequence[int] = ()


@dataclass(frozen=True)
class OutputFormat:
    """One way of writing timeseries.

    Attributes
    ----------
    name : str
        The format's name (``output_format``, or what a source resolves it to).
    extension : str
        The file's extension after ``_timeseries.``.
    write : callable
        ``write(target, values, columns, layout) -> list of Path``: the files
        written (``target``, or files named from it).
    read : callable or None
        ``read(path) -> (columns, values)``; None when the format is not read
        back (its outputs are made again on each run).
    names : callable or None
        ``names(table_name) -> list of str``: the files it writes for the
        table name ``target`` has; None: that name only.
    records_parcels : bool
        Whether ``write`` reads ``layout.parcels`` (a source's parcels axis
        is made only for such formats: it costs ~0.7 s on 91k grayordinates).
    """

    name: str
    extension: str
    write: Callable[[Path, np.ndarray, Sequence[str], Layout], list[Path]]
    read: Callable[[Path], tuple[list[str], np.ndarray]] | None = None
    names: Callable[[str], list[str]] | None = None
    records_parcels: bool = False

    def file_names(self, table_name: str) -> list[str]:
        """Return the names of the files written for the table name ``table_name``."""
        return [table_name] if self.names is None else self.names(table_name)


def read_table(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a timeseries TSV: its header's column names and its values (``n/a`` as NaN).

    The values are as written (9 significant digits).
    """
    import pandas as pd  # the C parser: voxel tables have millions of cells

    with open(path) as handle:
        columns = handle.readline().rstrip("\n").split("\t")
    values = pd.read_csv(
        path, sep="\t", na_values=["n/a"], keep_default_na=False,
        dtype=np.float64, engine="c",
    ).to_numpy()  # fmt: skip
    return columns, values


def _write_table(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    return [write_table(target, values, columns)]


def _write_npy(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    return [write_npy(target, np.asarray(values).astype(np.float32, copy=False))]


def _write_image(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    return [write_voxel_image(target, layout.space, values)]


def _write_dense(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    return [
        write_dense_series(target, values, layout.space, layout.t_r, layout.volumes)
    ]


def _write_pair(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    return write_gifti_pair(target, values, layout.space, layout.t_r)


def _pair_names(name: str) -> list[str]:
    return [hemisphere_name(name, letter) for letter in ("L", "R")]


def _parcels_name(name: str) -> str:
    return name[: -len(".tsv")] + ".ptseries.nii"


def _write_table_and_parcels(
    target: Path, values: np.ndarray, columns: Sequence[str], layout: Layout
) -> list[Path]:
    parcels = target.with_name(_parcels_name(target.name))
    return [
        write_table(target, values, columns),
        write_parcel_series(
            parcels, values, layout.parcels, layout.t_r, layout.volumes
        ),
    ]


#: Every output format, by its name. ``cifti`` is a region table written as
#: TSV (read back) and ``.ptseries.nii``; every grayordinate of a surface run
#: is written as ``dtseries`` or, for GIFTI runs, a ``gifti`` pair.
FORMATS: dict[str, OutputFormat] = {
    "tsv": OutputFormat("tsv", "tsv", _write_table, read_table),
    "nifti": OutputFormat("nifti", "nii.gz", _write_image),
    "npy": OutputFormat("npy", "npy", _write_npy),
    "cifti": OutputFormat(
        "cifti",
        "tsv",
        _write_table_and_parcels,
        read_table,
        lambda name: [name, _parcels_name(name)],
        records_parcels=True,
    ),
    "dtseries": OutputFormat("dtseries", "dtseries.nii", _write_dense),
    "gifti": OutputFormat("gifti", "func.gii", _write_pair, names=_pair_names),
}


def timeseries_name(stem: str, output_format: str = "tsv") -> str:
    """Return the file name of a timeseries: ``<stem>_timeseries.<extension>``."""
    return f"{stem}_timeseries.{FORMATS[output_format].extension}"


@dataclass(frozen=True)
class OutputNames:
    """The names of one image's outputs for one ROI set, relative to the output folder.

    In the ``flat`` layout they are ``<stem>_timeseries.<extension>``,
    ``<stem>_coverage.tsv`` (``stem``: the image's, with ``_atlas-<set>``
    when there are several sets). In the ``bids`` layout (``entities``
    given) every name comes from :func:`~niimasker_core.io.bids.derivative_name`:
    ``sub-<>/[ses-<>/]func/<entities>_atlas-<set>_stat-mean_timeseries.tsv``,
    ``..._stat-coverage_bold.tsv``, ``..._stat-<kind>_relmat.tsv``.

    Attributes
    ----------
    stem : str
        The flat layout's stem.
    entities : tuple of (str, str) or None
        The source image's entities, for the BIDS layout (None: flat).
    atlas : str or None
        The ROI set's name (BIDS layout).
    statistic : str
        The timeseries' ``stat`` entity (BIDS layout): how each region's
        voxels are summarised (``mean``, ``median``...).
    """

    stem: str
    entities: tuple[tuple[str, str], ...] | None = None
    atlas: str | None = None
    statistic: str = "mean"

    def _bids(self, stat: str, suffix: str, extension: str) -> str:
        return derivative_name(
            dict(self.entities or ()), None, self.atlas, stat, suffix, extension
        )

    def timeseries(self, output_format: str = "tsv") -> str:
        """Return the timeseries' name (a GIFTI pair's: the name both halves are made from)."""
        if self.entities is None:
            return timeseries_name(self.stem, output_format)
        extension = "." + FORMATS[output_format].extension
        return self._bids(self.statistic, "timeseries", extension)

    def coverage(self) -> str:
        """Return the coverage table's name."""
        if self.entities is None:
            return f"{self.stem}_coverage.tsv"
        return self._bids("coverage", "bold", ".tsv")

    def relmat(self, kind: str, extension: str = ".tsv") -> str:
        """Return the name of a connectivity matrix of ``kind`` (nilearn's word)."""
        if self.entities is None:
            return relmat_name(self.stem, kind)[: -len(".tsv")] + extension
        return self._bids(relmat_stat(kind), "relmat", extension)

    @property
    def file_stem(self) -> str:
        """The timeseries' file name without ``_timeseries.<extension>``."""
        return Path(self.timeseries()).name[: -len("_timeseries.tsv")]


def relmat_name(stem: str, kind: str) -> str:
    """Return the file name of a connectivity matrix: ``<stem>_<kind>_relmat.tsv``.

    The kind is nilearn's without spaces (``partial correlation`` is
    ``<stem>_partialcorrelation_relmat.tsv``), as XCP-D's ``relmat`` suffix.
    """
    return f"{stem}_{kind.replace(' ', '')}_relmat.tsv"


def relmat_beside(table: str | Path, kind: str, layout: str) -> Path:
    """Return the connectivity matrix of ``kind`` written beside a timeseries table.

    ``layout`` is the batch's ``output_layout``: ``flat`` names it
    :func:`relmat_name` of the table's stem, ``bids`` swaps the table's
    ``_stat-<statistic>_timeseries`` for ``_stat-<kind>_relmat``.
    """
    table = Path(table)
    base = table.name[: table.name.rindex("_timeseries.")]
    if layout == "bids":
        base = base[: base.rindex("_stat-")]
        return table.with_name(f"{base}_stat-{relmat_stat(kind)}_relmat.tsv")
    return table.with_name(relmat_name(base, kind))


def relmat_sidecar(path: str | Path) -> Path:
    """Return the JSON sidecar of a connectivity matrix (``..._relmat.json``)."""
    path = Path(path)
    return path.with_name(path.name[: -len(".tsv")] + ".json")


def write_relmat(target: str | Path, matrix: np.ndarray, nodes: Sequence[str]) -> Path:
    """Write a square matrix as XCP-D does: a ``Node`` column, then one per region.

    NaN is written as ``n/a``; values with 9 significant digits.
    """
    values = np.asarray(matrix, dtype=np.float64)
    row_format = "\t".join(["%.9g"] * values.shape[1])  # one format per row: fast
    lines = ["\t".join(["Node", *nodes])]
    for node, row, has_nan in zip(nodes, values.tolist(), np.isnan(values).any(axis=1)):
        line = row_format % tuple(row)
        if has_nan:
            line = "\t".join("n/a" if c == "nan" else c for c in line.split("\t"))
        lines.append(f"{node}\t{line}")
    text = "\n".join(lines) + "\n"
    with atomic_path(target, size_hint=len(text.encode())) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)
    return Path(target)


def read_relmat(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a matrix :func:`write_relmat` wrote: its nodes and values (``n/a`` as NaN)."""
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split("\t")[1:]
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    values = np.array(
        [[np.nan if c == "n/a" else float(c) for c in row[1:]] for row in rows],
        dtype=np.float64,
    ).reshape(len(rows), len(header))
    return header, values


def format_of(path: str | Path) -> OutputFormat:
    """Return the format a timeseries file was written in, from its name.

    Raises
    ------
    InputFileError
        If the name is no ``_timeseries`` file of a known format.
    """
    name = Path(path).name
    for fmt in FORMATS.values():
        if name.endswith(f"_timeseries.{fmt.extension}"):
            return fmt
    raise InputFileError(
        "{file} is not a niimasker timeseries file (<stem>_timeseries.tsv, .nii.gz, "
        ".npy, .dtseries.nii or .func.gii).",
        file=str(path),
    )


def sidecar_of(path: str | Path) -> Path:
    """Return the JSON sidecar of a timeseries file (``<stem>_timeseries.json``)."""
    path = Path(path)
    extension = format_of(path).extension
    return path.with_name(path.name[: -len(extension)] + "json")


def write_voxel_image(target: Any, mask_img: Any, values: np.ndarray) -> Path:
    """Write ``(n_volumes, n_voxels)`` signals as a 4D NIfTI in the mask's space.

    The same image as ``NiftiMasker.inverse_transform`` (float32, zeros
    outside the mask, the mask's affine), written volume by volume through
    ISA-L's gzip (level 1, nibabel's default) when the name ends in ``.gz``,
    so memory stays at one volume.

    Parameters
    ----------
    target : str or pathlib.Path
        ``.nii.gz`` (or ``.nii``) file, written atomically.
    mask_img : nibabel.Nifti1Image
        The mask.
    values : numpy.ndarray
        The signals, voxels in the mask's C order.

    Returns
    -------
    pathlib.Path
        ``target``.
    """
    mask = np.asanyarray(mask_img.dataobj).astype(bool)
    n_volumes = values.shape[0]
    header = nib.Nifti1Header()
    header.set_data_shape((*mask.shape, n_volumes))
    header.set_data_dtype(np.float32)
    header.set_qform(mask_img.affine, code=1)
    header.set_sform(mask_img.affine, code=1)
    header.set_xyzt_units("mm", "sec")
    header["vox_offset"] = 352
    if str(target).endswith(".gz"):

        def opener(path):
            return igzip.open(path, "wb", compresslevel=1)
    else:

        def opener(path):
            return open(path, "wb")

    volume = np.zeros(mask.shape, dtype=np.float32)
    with atomic_path(target) as tmp, opener(tmp) as handle:
        handle.write(header.binaryblock)  # 348 bytes, vox_offset kept as set
        handle.write(b"\0" * (352 - len(header.binaryblock)))  # no extensions
        for row in values:
            volume[mask] = row
            handle.write(volume.tobytes(order="F"))
    return Path(target)
