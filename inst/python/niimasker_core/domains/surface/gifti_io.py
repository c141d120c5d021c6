"""Read the data arrays of a GIFTI file fast, with exactly nibabel's values.

nibabel parses a GIFTI file with expat and hands every ``<Data>`` element's
text to Python, where each DataArray is decoded in turn. Here the file is
memory-mapped and its payloads are found with ``find`` (base64 text never
holds ``<``); what is left, the skeleton (a few hundred bytes per DataArray),
is parsed by :mod:`xml.etree.ElementTree`, so tags, attributes, metadata,
comments, entities and CDATA are read by a real XML parser. The payloads are
then decoded by two threads (``binascii``, which holds the GIL, and ISA-L's
inflate, which releases it) into the rows of one preallocated array, and the
pages of the file already decoded are unmapped, so that the process holds
little more than the values.

A payload is cut from the skeleton only when it sits between ``<Data>`` and
``</Data>`` and holds no ``&``; it is replaced by a marker, and the parsed
skeleton must hold every marker, in order, each alone in a ``<Data>``
element. Anything else (a ``<Data>`` in a comment, CDATA, an entity) makes
the whole file go through the XML parser, which is slower but still exact.

Every DataArray is decoded as nibabel's ``GiftiDataArray.data`` is (see
``nibabel.gifti.parse_gifti_fast.read_data_block``): the same attribute
spellings and defaults, ASCII through :func:`numpy.loadtxt`, base64 with or
without zlib compression, external files at their offset, either byte order,
row- or column-major. Values come back in native byte order, as
``np.stack([d.data for d in nib.load(path).darrays])`` gives them.

Decoding base64 and inflating are most of the time left (about 0.07 s each
per fsaverage5 hemisphere of 650 frames; ``bench/bench_gifti.py``).
"""

from __future__ import annotations

import binascii
import functools
import io
import mmap
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from isal import isal_zlib
from nibabel.gifti.util import (
    array_index_order_codes,
    gifti_encoding_codes,
    gifti_endian_codes,
)
from nibabel.nifti1 import data_type_codes, intent_codes
from nibabel.volumeutils import Recoder

from ...errors import ImageNotFoundError, InputFileError
from ..base import usable_cores

__all__ = [
    "TIME_SERIES",
    "GiftiArrays",
    "read_gifti_arrays",
    "read_gifti_claim",
    "read_gifti_data_arrays",
]

#: The intent of a time series, one DataArray per frame.
TIME_SERIES = "NIFTI_INTENT_TIME_SERIES"

#: Payload bytes handed to a worker thread at once (fewer, larger tasks).
_TASK_BYTES = 1 << 20

#: Threads decoding payloads: base64 holds the GIL, inflating does not.
_THREADS = min(2, usable_cores())

_BASE64 = ("B64BIN", "B64GZ")
_DATA_OPEN = b"<Data>"
_DATA_CLOSE = b"</Data>"
_MARKER = re.compile(r"@(\d+)@")

#: The value kinds numpy can hold as plain numbers (not RGB triplets or void).
_NUMERIC_KINDS = "biufc"


@dataclass(frozen=True, eq=False)
class GiftiArrays:
    """The data arrays of one GIFTI file, stacked, and what describes them.

    Attributes
    ----------
    path : str
        The file read.
    data : numpy.ndarray
        Decoded when first asked for (:func:`read_gifti_arrays` with
        ``lazy=True`` reads only the XML skeleton). Two dimensions, native
        byte order. Several DataArrays (a time series,
        one array per frame, as fMRIPrep, FreeSurfer and nibabel write it):
        ``(n_arrays, n_values)``, row ``i`` the values of DataArray ``i``, as
        ``np.stack([d.data for d in nib.load(path).darrays])`` (each array's
        ``(n, 1)`` or ``(1, n)`` shape flattened). One DataArray of one
        dimension: ``(1, n_values)``. One DataArray of two dimensions: its
        ``d.data`` as nibabel shapes it, ``(Dim0, Dim1)``, transposed to
        ``(Dim1, Dim0)`` (frames x vertices) when its intent is a time series.
    dtype : numpy.dtype
        ``data.dtype``: the arrays' ``DataType``, in native byte order.
    intent : str
        The first DataArray's intent, e.g. ``'NIFTI_INTENT_TIME_SERIES'``.
    dims : tuple of int
        Each DataArray's dimensions as stored (``Dim0``, ``Dim1``, ...).
    transposed : bool
        True when ``data`` is one two-dimensional array transposed.
    meta : mapping of str to str
        The file's own ``<MetaData>``.
    array_meta : tuple of mapping of str to str
        Each DataArray's ``<MetaData>``, in order.
    """

    path: str
    dtype: np.dtype
    intent: str
    dims: tuple[int, ...]
    transposed: bool
    meta: Mapping[str, str]
    array_meta: tuple[Mapping[str, str], ...]
    shape: tuple[int, int]  # of ``data``, known before decoding
    specs: list[_Spec] = field(repr=False, default_factory=list)
    n_threads: int = field(repr=False, default=1)

    @cached_property
    def data(self) -> np.ndarray:
        """Return the values (decoded once, at the first call)."""
        first = self.specs[0].layout
        rows = np.empty((len(self.specs), first.count), dtype=self.dtype)
        self.decode_rows(list(rows))
        if not self.one_row_per_array:
            data = rows[0].reshape(first.shape, order=first.order)
            return data.T if self.transposed else data
        return rows

    @property
    def one_row_per_array(self) -> bool:
        """Tell whether ``data`` is one row per DataArray (not one 2D array's shape)."""
        return not (len(self.specs) == 1 and len(self.specs[0].layout.shape) == 2)

    def decode_rows(self, rows: list[np.ndarray]) -> None:
        """Decode DataArray ``i`` into ``rows[i]`` (each a contiguous 1D array of its length).

        Lets a caller decode into the rows of a larger array (two hemispheres
        side by side) without a copy; ``data`` is not kept.
        """
        _decode_all(self.path, self.specs, rows, self.n_threads)

    @property
    def n_arrays(self) -> int:
        """Return the number of DataArrays in the file."""
        return len(self.array_meta)

    @property
    def anatomical_structure(self) -> str | None:
        """Return ``AnatomicalStructurePrimary`` (``CortexLeft``, ...), if given.

        fMRIPrep writes it in the file's metadata, Caret and Workbench in each
        DataArray's; the file's wins, then the first DataArray's.
        """
        found = self.meta.get("AnatomicalStructurePrimary")
        if found is None and self.array_meta:
            found = self.array_meta[0].get("AnatomicalStructurePrimary")
        return found

    @property
    def time_step(self) -> float | None:
        """Return the first DataArray's ``TimeStep`` as written, None if absent.

        FreeSurfer (``mri_vol2surf``, which fMRIPrep uses) writes its frame
        time, in milliseconds, with ``%f``; an unknown one is written
        ``0.000000``. nilearn never reads it. No unit is converted here.
        """
        text = self.array_meta[0].get("TimeStep") if self.array_meta else None
        try:
            return None if text is None else float(text)
        except ValueError:
            return None


@dataclass(frozen=True)
class _Layout:
    """How one DataArray's values are stored (shared by arrays alike)."""

    intent: str
    dtype: np.dtype  # as stored, byte order included
    shape: tuple[int, ...]
    order: str  # 'C' (RowMajorOrder) or 'F' (ColumnMajorOrder)
    encoding: str  # nibabel's labels: ASCII, B64BIN, B64GZ, External
    external: str
    offset: int
    count: int
    nbytes: int


@dataclass(frozen=True)
class _Spec:
    """One DataArray: its place, layout, metadata and payload."""

    index: int
    layout: _Layout
    meta: dict[str, str]
    payload: memoryview | str | None
    span: tuple[int, int] | None = None  # the payload's bytes in the mapped file


def read_gifti_arrays(
    path: str | os.PathLike, *, n_threads: int = _THREADS, lazy: bool = False
) -> GiftiArrays:
    """Read every DataArray of a GIFTI file into one two-dimensional array.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.gii`` file, e.g. fMRIPrep's ``*_hemi-L_space-fsaverage5_bold.func.gii``.
    n_threads : int, default=2 (1 on one core)
        Threads decoding the payloads; 1 decodes in the calling thread.
    lazy : bool, default=False
        Read the skeleton only (dimensions, types, metadata) and decode the
        payloads when ``data`` is first asked for; decoding errors are then
        raised there.

    Returns
    -------
    GiftiArrays
        The values (see :class:`GiftiArrays` for their shape), the intent and
        the file's and each DataArray's metadata.

    Raises
    ------
    ImageNotFoundError
        When ``path`` does not exist.
    InputFileError
        When the file is not GIFTI XML, is truncated or corrupt, holds no
        DataArray, holds DataArrays of different lengths or data types, or
        values that are not one row per array.
    """
    path = os.fspath(path)
    meta, specs = _read_specs(path)
    first = specs[0].layout
    for spec in specs[1:]:
        _check_alike(path, first, spec)
    long_dims = sum(n > 1 for n in first.shape)
    if len(first.shape) > 2 or (len(specs) > 1 and long_dims > 1):
        raise InputFileError(
            "{file} holds DataArrays of shape {shape}, not one value per vertex.",
            file=path,
            shape=first.shape,
            fix="Give a GIFTI file of surface data (a .func.gii or .shape.gii).",
        )
    dtype = first.dtype.newbyteorder("=")
    shape, transposed = (len(specs), first.count), False
    if len(specs) == 1 and len(first.shape) == 2:
        transposed = first.intent == TIME_SERIES
        shape = first.shape[::-1] if transposed else first.shape
    arrays = GiftiArrays(
        path=path,
        dtype=dtype,
        intent=first.intent,
        dims=first.shape,
        transposed=transposed,
        meta=meta,
        array_meta=tuple(spec.meta for spec in specs),
        shape=(int(shape[0]), int(shape[1])),
        specs=specs,
        n_threads=n_threads,
    )
    if not lazy:
        arrays.data  # noqa: B018 (decoded now, errors raised here)
    return arrays


def read_gifti_data_arrays(
    path: str | os.PathLike, *, n_threads: int = _THREADS
) -> list[np.ndarray]:
    """Read each DataArray of a GIFTI file as nibabel's ``darrays[i].data``.

    For files whose arrays differ in shape or type, such as a mesh
    (``*.surf.gii``: coordinates, then triangles).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.gii`` file.
    n_threads : int, default=2 (1 on one core)
        Threads decoding the payloads; 1 decodes in the calling thread.

    Returns
    -------
    list of numpy.ndarray
        One array per DataArray, with nibabel's shape, memory order and
        values, in native byte order.

    Raises
    ------
    ImageNotFoundError
        When ``path`` does not exist.
    InputFileError
        When the file is not GIFTI XML, is truncated or corrupt, or holds no
        DataArray.
    """
    path = os.fspath(path)
    _, specs = _read_specs(path)
    layouts = [spec.layout for spec in specs]
    flats = [np.empty(lay.count, lay.dtype.newbyteorder("=")) for lay in layouts]
    _decode_all(path, specs, flats, n_threads)
    return [
        flat.reshape(lay.shape, order=lay.order) for flat, lay in zip(flats, layouts)
    ]


def read_gifti_claim(path: str | os.PathLike) -> tuple[tuple[int, int], np.dtype]:
    """Return what a GIFTI file's XML claims: ``(n_arrays, values per array)`` and dtype.

    Only the XML is parsed (the ``Dim`` attributes), no payload is decoded.

    Raises
    ------
    InputFileError
        When the file is not GIFTI XML or holds no DataArray.
    """
    _, specs = _read_specs(os.fspath(path))
    first = specs[0].layout
    return (len(specs), max(spec.layout.count for spec in specs)), first.dtype


def _read_specs(path: str) -> tuple[dict[str, str], list[_Spec]]:
    """Parse a file's XML into its metadata and one :class:`_Spec` per DataArray.

    Parsed once per process until the file changes (the budget check and
    the run both read it); callers do not change what is returned.
    """
    try:
        stat = os.stat(path)
    except OSError:
        return _parse_specs(path)  # names the problem
    return _parse_specs_once(path, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _parse_specs_once(path: str, *stamp: int) -> tuple[dict[str, str], list[_Spec]]:
    return _parse_specs(path)


def _parse_specs(path: str) -> tuple[dict[str, str], list[_Spec]]:
    buffer = _map_file(path)
    parsed = _parse_skeleton(buffer)
    if parsed is None:  # the fast cut did not hold: parse everything
        parsed = _parse_xml(path, buffer[:]), []
    root, spans = parsed
    view = memoryview(buffer)
    if root.tag != "GIFTI":
        raise InputFileError(
            "{file} is XML but not GIFTI: its root element is <{tag:text}>.",
            file=path,
            tag=root.tag,
        )
    elements = list(root.iter("DataArray"))
    if not elements:
        raise InputFileError("{file} holds no DataArray, so no data.", file=path)
    layouts: dict[tuple[tuple[str, str], ...], _Layout] = {}
    specs = []
    for index, element in enumerate(elements):
        key = tuple(element.attrib.items())
        if key not in layouts:
            layouts[key] = _layout(path, index, element.attrib)
        span = spans[index] if spans else None
        payload = view[span[0] : span[1]] if span else None
        if payload is None and (data := element.find("Data")) is not None:
            payload = data.text or ""
        meta = _metadata(element.find("MetaData"))
        specs.append(_Spec(index, layouts[key], meta, payload, span))
    _release(buffer, 0, len(buffer))  # the scan touched it all; decoding maps anew
    return _metadata(root.find("MetaData")), specs


def _release(buffer: bytes | mmap.mmap, start: int, end: int) -> None:
    """Unmap the whole pages of ``buffer[start:end]`` (the file keeps them).

    A mapped file's pages count in the process's resident memory once read;
    dropping those already decoded keeps it to about the arrays decoded.
    """
    if isinstance(buffer, mmap.mmap) and hasattr(buffer, "madvise"):
        first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
        last = end // mmap.PAGESIZE * mmap.PAGESIZE
        if last > first:
            buffer.madvise(mmap.MADV_DONTNEED, first, last - first)


def _map_file(path: str) -> bytes | mmap.mmap:
    """Map a file into memory (no copy); read it when it cannot be mapped."""
    try:
        with open(path, "rb") as file:
            try:
                return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):  # empty, or not a regular file
                return file.read()
    except FileNotFoundError:
        raise ImageNotFoundError("{file} does not exist.", file=path) from None
    except OSError as exc:
        raise InputFileError(
            "Cannot read {file}: {reason:text}.", file=path, reason=exc.strerror or exc
        ) from None


def _parse_skeleton(
    buffer: bytes | mmap.mmap,
) -> tuple[ET.Element, list[tuple[int, int]]] | None:
    """Parse the XML with every simple payload cut out; None if the cut is unsure.

    Returns the root and, per DataArray in document order, where its payload
    lies in ``buffer``.
    """
    view = memoryview(buffer)
    pieces: list[bytes | memoryview] = []
    cuts: list[tuple[int, int]] = []
    start = 0
    at = buffer.find(_DATA_OPEN)
    while at >= 0:
        begin = at + len(_DATA_OPEN)
        end = buffer.find(b"<", begin)
        if end < 0:
            break  # truncated: the XML parser will say where
        closed = buffer[end : end + len(_DATA_CLOSE)] == _DATA_CLOSE
        if closed and buffer.find(b"&", begin, end) < 0:
            pieces += [view[start:begin], b"@%d@" % len(cuts)]
            cuts.append((begin, end))
            start = end
        at = buffer.find(_DATA_OPEN, end)
    pieces.append(view[start:])
    try:
        root = ET.fromstring(b"".join(pieces))
    except ET.ParseError:
        return None
    n_arrays = 0
    for element in root.iter("DataArray"):
        data = element.find("Data")
        marker = _MARKER.fullmatch(data.text or "") if data is not None else None
        if marker is None or int(marker.group(1)) != n_arrays:
            return None
        n_arrays += 1
    return (root, cuts) if n_arrays == len(cuts) else None


def _parse_xml(path: str, buffer: bytes) -> ET.Element:
    try:
        return ET.fromstring(buffer)
    except ET.ParseError as exc:
        if not buffer.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise InputFileError(
                "{file} is not a GIFTI file: GIFTI is XML, and this file does not "
                "start with '<'.",
                file=path,
                fix="Give a .gii file (NIfTI images are .nii or .nii.gz).",
            ) from None
        raise InputFileError(
            "{file} is not a complete GIFTI file: its XML is cut short or corrupt "
            "({reason:text}).",
            file=path,
            reason=exc,
            fix="Re-copy or regenerate the file.",
        ) from None


def _metadata(element: ET.Element | None) -> dict[str, str]:
    """Return the name-value pairs of a ``<MetaData>``, stripped as nibabel does."""
    if element is None:
        return {}
    pairs = {}
    for md in element.iter("MD"):
        name, value = md.find("Name"), md.find("Value")
        key = "" if name is None else (name.text or "").strip()
        pairs[key] = "" if value is None else (value.text or "").strip()
    return pairs


def _layout(path: str, index: int, attrs: Mapping[str, str]) -> _Layout:
    """Read one DataArray's attributes with nibabel's spellings and defaults."""

    def code(table: Recoder, name: str, default: object) -> object:
        if name not in attrs:
            return default
        try:
            return table.code[attrs[name]]
        except KeyError:
            raise InputFileError(
                "{file}: DataArray {index} has {name:text}={value}, which GIFTI "
                "does not define.",
                file=path,
                index=index,
                name=name,
                value=attrs[name],
            ) from None

    datatype = code(data_type_codes, "DataType", 0)
    dtype = data_type_codes.dtype[datatype]
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields:
        raise InputFileError(
            "{file}: DataArray {index} holds {datatype}, not plain numbers.",
            file=path,
            index=index,
            datatype=data_type_codes.niistring[datatype] or "no DataType",
        )
    native = gifti_endian_codes.code[sys.byteorder]
    byteorder = gifti_endian_codes.byteorder[code(gifti_endian_codes, "Endian", native)]
    dtype = dtype.newbyteorder(byteorder)
    shape = _dims(path, index, attrs)
    count = int(np.prod(shape, dtype=np.int64))
    order = code(array_index_order_codes, "ArrayIndexingOrder", 1)
    offset = attrs.get("ExternalFileOffset") or "0"
    return _Layout(
        intent=intent_codes.niistring[code(intent_codes, "Intent", 0)],
        dtype=dtype,
        shape=shape,
        order=array_index_order_codes.npcode[order],
        encoding=gifti_encoding_codes.label[code(gifti_encoding_codes, "Encoding", 3)],
        external=attrs.get("ExternalFileName", ""),
        offset=_whole(path, index, "ExternalFileOffset", offset),
        count=count,
        nbytes=count * dtype.itemsize,
    )


def _dims(path: str, index: int, attrs: Mapping[str, str]) -> tuple[int, ...]:
    n_dims = _whole(path, index, "Dimensionality", attrs.get("Dimensionality") or "0")
    dims = tuple(
        _whole(path, index, f"Dim{i}", attrs[f"Dim{i}"])
        for i in range(n_dims)
        if f"Dim{i}" in attrs
    )
    if len(dims) != n_dims or not dims:
        raise InputFileError(
            "{file}: DataArray {index} has Dimensionality={n} but gives the sizes "
            "{dims}.",
            file=path,
            index=index,
            n=n_dims,
            dims=dims,
        )
    return dims


def _whole(path: str, index: int, name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise InputFileError(
            "{file}: DataArray {index} has {name:text}={value}, not a whole number.",
            file=path,
            index=index,
            name=name,
            value=text,
        )
    return value


def _check_alike(path: str, first: _Layout, spec: _Spec) -> None:
    if spec.layout.count != first.count:
        raise InputFileError(
            "{file} holds DataArrays of different lengths: DataArray 0 has {n0} "
            "values, DataArray {index} has {n}.",
            file=path,
            n0=first.count,
            index=spec.index,
            n=spec.layout.count,
        )
    if spec.layout.dtype.newbyteorder("=") != first.dtype.newbyteorder("="):
        raise InputFileError(
            "{file} holds DataArrays of different data types: DataArray 0 holds "
            "{t0:text}, DataArray {index} holds {t:text}.",
            file=path,
            t0=first.dtype.name,
            index=spec.index,
            t=spec.layout.dtype.name,
        )


def _decode_all(
    path: str, specs: list[_Spec], outs: list[np.ndarray], n_threads: int
) -> None:
    """Decode every DataArray into its flat output, base64 in worker threads."""
    tasks = list(_tasks(specs, outs))
    threaded = [t for t in tasks if t[0][0].layout.encoding in _BASE64]
    if n_threads <= 1 or len(threaded) <= 1:
        for task in tasks:
            _decode_task(path, task)
        return
    with ThreadPoolExecutor(n_threads, thread_name_prefix="gifti") as pool:
        futures = [pool.submit(_decode_task, path, task) for task in threaded]
        try:
            for task in tasks:
                if task[0][0].layout.encoding not in _BASE64:
                    _decode_task(path, task)
            for future in futures:
                future.result()
        finally:
            for future in futures:
                future.cancel()


def _tasks(
    specs: list[_Spec], outs: list[np.ndarray]
) -> Iterator[list[tuple[_Spec, np.ndarray]]]:
    """Group consecutive base64 arrays into tasks of about ``_TASK_BYTES``."""
    task: list[tuple[_Spec, np.ndarray]] = []
    size = 0
    for spec, out in zip(specs, outs):
        if spec.layout.encoding not in _BASE64:
            yield [(spec, out)]
            continue
        task.append((spec, out))
        size += len(spec.payload) if spec.payload is not None else 0
        if size >= _TASK_BYTES:
            yield task
            task, size = [], 0
    if task:
        yield task


def _decode_task(path: str, task: list[tuple[_Spec, np.ndarray]]) -> None:
    """Decode a few DataArrays in turn, then unmap their payloads."""
    for spec, out in task:
        encoding = spec.layout.encoding
        if spec.payload is None and encoding != "External":
            raise InputFileError(
                "{file}: DataArray {index} has no <Data> element.",
                file=path,
                index=spec.index,
            )
        if encoding in _BASE64:
            _decode_base64(path, spec, out)
        elif encoding == "ASCII":
            _decode_ascii(path, spec, out)
        elif encoding == "External":
            _read_external(path, spec, out)
        else:
            raise InputFileError(
                "{file}: DataArray {index} has no encoding (Encoding=undef).",
                file=path,
                index=spec.index,
            )
    first, last = task[0][0], task[-1][0]
    if first.span and last.span and isinstance(first.payload, memoryview):
        _release(first.payload.obj, first.span[0], last.span[1])


def _decode_base64(path: str, spec: _Spec, out: np.ndarray) -> None:
    layout = spec.layout
    try:
        raw = binascii.a2b_base64(spec.payload)
        if layout.encoding == "B64GZ":
            raw = isal_zlib.decompress(raw, bufsize=max(layout.nbytes, 1))
    except (binascii.Error, isal_zlib.error, ValueError) as exc:
        raise InputFileError(
            "{file}: DataArray {index} is corrupt ({reason:text}).",
            file=path,
            index=spec.index,
            reason=exc,
            fix="Re-copy or regenerate the file.",
        ) from None
    _check_size(path, spec, len(raw))
    out[...] = np.frombuffer(raw, layout.dtype)


def _decode_ascii(path: str, spec: _Spec, out: np.ndarray) -> None:
    text = spec.payload
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "replace")
    try:
        values = (
            np.loadtxt(io.StringIO(text), dtype=spec.layout.dtype, ndmin=1)
            if text.strip()
            else np.empty(0, spec.layout.dtype)  # numpy warns of empty text
        )
    except ValueError as exc:
        raise InputFileError(
            "{file}: DataArray {index} holds ASCII that is not a list of numbers "
            "({reason:text}).",
            file=path,
            index=spec.index,
            reason=exc,
        ) from None
    _check_size(path, spec, values.size * values.dtype.itemsize)
    out[...] = values.ravel(order=spec.layout.order)  # as nibabel reshapes it


def _read_external(path: str, spec: _Spec, out: np.ndarray) -> None:
    layout = spec.layout
    external = os.path.join(os.path.dirname(path), layout.external)
    try:
        with open(external, "rb") as file:
            file.seek(layout.offset)
            got = file.readinto(out.view(np.uint8))
    except OSError as exc:
        raise InputFileError(
            "{file}: DataArray {index} is stored in {external}, which cannot be "
            "read ({reason:text}).",
            file=path,
            index=spec.index,
            external=external,
            reason=exc.strerror or exc,
        ) from None
    _check_size(path, spec, got)
    if not layout.dtype.isnative:
        out.byteswap(inplace=True)


def _check_size(path: str, spec: _Spec, nbytes: int) -> None:
    layout = spec.layout
    if nbytes != layout.nbytes:
        raise InputFileError(
            "{file}: DataArray {index} holds {got} bytes where its {shape} values of "
            "{dtype:text} need {need}: the file is truncated or corrupt.",
            file=path,
            index=spec.index,
            got=nbytes,
            shape=layout.shape,
            dtype=layout.dtype.name,
            need=layout.nbytes,
            fix="Re-copy or regenerate the file.",
        )
