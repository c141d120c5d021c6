"""Stream a NIfTI image's volumes, a chunk at a time, into one reused buffer.

Decompressing the ``.nii.gz`` is most of the cost of an extraction, so the
data are streamed straight from the file into one reused buffer: ISA-L's
gzip reader (python-isal) inflates directly into that buffer, with no
intermediate copies; an uncompressed ``.nii`` is read with plain ``readinto``
calls. Memory stays at one chunk whatever the number of volumes. Values are
scaled exactly as nibabel's ``np.asanyarray(img.dataobj)`` scales them
(``scl_slope``/``scl_inter``, same dtype promotion), which is what nilearn's
maskers read; big-endian data are returned in native byte order.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from nibabel.openers import ImageOpener
from nibabel.volumeutils import apply_read_scaling

from ...errors import InputFileError
from ..base import CHUNK_BYTES

if TYPE_CHECKING:  # pragma: no cover
    from .nifti import ImageInfo

try:  # python-isal >= 1.6: a gzip reader inflating into the caller's buffer
    from isal.isal_zlib import _GzipReader
except ImportError:  # pragma: no cover - python-isal < 1.6
    _GzipReader = None

__all__ = ["iter_chunks"]

#: Compressed bytes ISA-L reads from disk at a time.
_GZIP_READ_BYTES = 2**20


def _iter_array_chunks(
    info: ImageInfo, start: int, chunk_bytes: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_volume, block)`` of an in-memory image, as :func:`iter_chunks`."""
    vol_bytes = info.n_voxels * info.dtype.itemsize
    per_chunk = max(1, chunk_bytes // max(vol_bytes, 1))
    for first in range(start, info.n_volumes, per_chunk):
        stop = min(first + per_chunk, info.n_volumes)
        volumes = info.array[..., first:stop]
        block = np.ascontiguousarray(
            volumes.reshape((info.n_voxels, stop - first), order="F").T,
            dtype=info.dtype,
        )
        yield first, block


class _RawStream:
    """The decompressed bytes of an image file, read into caller buffers.

    ``.gz`` files go through ISA-L's C gzip reader, which inflates straight
    into the buffer given to ``readinto`` (multi-member files and CRC checks
    included); ``.nii`` files are plain unbuffered reads; other extensions
    nibabel knows (``.bz2``, ``.zst``) use nibabel's opener.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: Any = None
        self._reader: Any = None
        suffix = path.lower()
        self._plain = suffix.endswith(".nii")
        try:
            if suffix.endswith(".gz"):
                self._file = open(path, "rb", buffering=0)
                self._reader = _gzip_reader(self._file)
            elif self._plain:
                self._reader = self._file = open(path, "rb", buffering=0)
            else:
                self._reader = self._file = ImageOpener(path, "rb")
        except OSError as exc:
            self.close()
            raise InputFileError(f"Cannot open '{path}': {exc}") from None

    def __enter__(self) -> _RawStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._reader is not None and self._reader is not self._file:
            self._reader.close()
        if self._file is not None:
            self._file.close()

    def fill(self, view: memoryview) -> int:
        """Read into ``view`` until it is full or the data end; return bytes read.

        Raises
        ------
        InputFileError
            If the compressed data are corrupt.
        """
        got, size = 0, len(view)
        while got < size:
            try:
                n = self._reader.readinto(view[got:])
            except EOFError:  # the gzip stream stops inside a deflate block
                break
            except Exception as exc:  # zlib/ISA-L/gzip errors have no common base
                raise InputFileError(
                    f"'{self.path}' is corrupt: {exc}. Re-copy or regenerate the file."
                ) from None
            if not n:
                break
            got += n
        return got

    def drain(self) -> None:
        """Read compressed data to their end, so that gzip's CRC and length are checked.

        A corrupt deflate stream can inflate to plausible numbers; only the
        trailer tells, and nibabel never reads it. Plain files have nothing
        to check.
        """
        if self._plain:
            return
        scratch = memoryview(bytearray(2**16))
        while self.fill(scratch) == len(scratch):
            pass

    def skip(self, n_bytes: int, scratch: memoryview) -> int:
        """Move past the first ``n_bytes`` of a fresh stream; return bytes skipped.

        Compressed data are inflated into ``scratch`` and dropped; a plain
        ``.nii`` is seeked.
        """
        if self._plain:
            size = self._file.seek(0, 2)
            return self._file.seek(min(n_bytes, size), 0)
        done = 0
        while done < n_bytes:
            step = min(n_bytes - done, len(scratch))
            got = self.fill(scratch[:step])
            done += got
            if got < step:
                break
        return done


def _gzip_reader(raw: Any) -> Any:
    # isal.igzip.open() wraps this C reader in GzipFile, whose readinto copies
    # through read(); the reader's own readinto inflates straight into our
    # buffer (python-isal >= 1.6, where igzip itself uses it).
    if _GzipReader is None:  # pragma: no cover - python-isal < 1.6
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return _GzipReader(raw, _GZIP_READ_BYTES)


def iter_chunks(
    info: ImageInfo,
    *,
    start: int = 0,
    chunk_bytes: int = CHUNK_BYTES,
    read_ahead: bool = True,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_volume, block)`` for consecutive chunks of volumes.

    Parameters
    ----------
    info : ImageInfo
        The image, from :func:`read_image_info`.
    start : int
        Index of the first volume to yield (earlier volumes are skipped
        without being converted).
    chunk_bytes : int
        Approximate size of one chunk of raw data; at least one volume.
    read_ahead : bool
        Inflate the next chunk in a worker thread while the caller works on
        the current one (ISA-L and numpy release the GIL), at the cost of a
        second chunk buffer.

    Yields
    ------
    first_volume : int
        Index of the block's first volume in the whole image.
    block : numpy.ndarray
        Shape ``(n_volumes_in_chunk, n_voxels)`` and dtype ``info.dtype``: one
        row per volume, voxels in NIfTI (Fortran) order. The array may be
        reused for the next chunk, so consume it before asking for the next
        one.

    Raises
    ------
    InputFileError
        If the file ends before all volumes are read, or is corrupt.
    """
    if info.array is not None:
        yield from _iter_array_chunks(info, start, chunk_bytes)
        return
    vol_bytes = info.n_voxels * info.raw_dtype.itemsize
    n_left = info.n_volumes - start
    if n_left <= 0:
        return
    per_chunk = max(1, min(n_left, chunk_bytes // max(vol_bytes, 1)))
    read_ahead = read_ahead and n_left > per_chunk
    buffers = [bytearray(per_chunk * vol_bytes) for _ in range(2 if read_ahead else 1)]
    with _RawStream(info.path) as stream, _Filler(stream, read_ahead) as filler:
        wanted = info.offset + start * vol_bytes
        done = stream.skip(wanted, memoryview(buffers[0]))
        if done < wanted:
            _raise_truncated(info, max(0, (done - info.offset) // vol_bytes))
        first, count, turn = start, min(per_chunk, n_left), 0
        filler.start(memoryview(buffers[0])[: count * vol_bytes])
        while count:
            got = filler.result()
            if got < count * vol_bytes:
                _raise_truncated(info, first + got // vol_bytes)
            following = min(per_chunk, info.n_volumes - first - count)
            current, turn = buffers[turn], (turn + 1) % len(buffers)
            if following:  # with read_ahead: inflated while this chunk is reduced
                filler.start(memoryview(buffers[turn])[: following * vol_bytes])
            raw = np.frombuffer(
                current, dtype=info.raw_dtype, count=count * info.n_voxels
            )
            yield first, _to_values(raw.reshape(count, info.n_voxels), info)
            first, count = first + count, following
        stream.drain()


class _Filler:
    """Fill buffers from a stream: when asked (serial) or ahead, in a worker thread."""

    def __init__(self, stream: _RawStream, in_thread: bool) -> None:
        self.stream = stream
        self.pool = None
        if in_thread:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="niimasker-read")
        self.pending: Any = None

    def __enter__(self) -> _Filler:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def start(self, view: memoryview) -> None:
        if self.pool is None:
            self.pending = view
        else:
            self.pending = self.pool.submit(self.stream.fill, view)

    def result(self) -> int:
        if self.pool is None:
            return self.stream.fill(self.pending)
        return self.pending.result()


def _raise_truncated(info: ImageInfo, volume: int) -> None:
    """Raise for a file that ends early, counting its intact volumes exactly.

    ``volume`` is where the streaming stopped, a lower bound: a gzip reader
    that meets the end of a truncated stream drops what it inflated in that
    call, so the bytes actually present are counted again here.
    """
    vol_bytes = info.n_voxels * info.raw_dtype.itemsize
    present = _data_bytes(info.path)
    if present is not None:
        volume = max(volume, min(info.n_volumes, (present - info.offset) // vol_bytes))
    raise InputFileError(
        "{file} ends early: {complete} of its {n_volumes} volumes are complete "
        "and volume {volume:volume} is cut short, so the file is truncated (an "
        "interrupted copy or download?).",
        file=info.path,
        complete=int(volume),
        n_volumes=int(info.n_volumes),
        volume=int(volume),
        fix="Re-copy or regenerate it.",
    )


def _data_bytes(path: str) -> int | None:
    """Return the bytes the file holds once decompressed, up to where it breaks."""
    if not path.lower().endswith(".gz"):
        return Path(path).stat().st_size if path.lower().endswith(".nii") else None
    total = 0
    inflater = zlib.decompressobj(31)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_GZIP_READ_BYTES):
                while chunk:
                    total += len(inflater.decompress(chunk, CHUNK_BYTES))
                    chunk = inflater.unconsumed_tail
                    if inflater.eof:  # another gzip member may follow
                        chunk = inflater.unused_data
                        inflater = zlib.decompressobj(31)
    except (OSError, zlib.error):
        pass  # corrupt rather than short: what inflated so far is what counts
    return total


def _to_values(raw: np.ndarray, info: ImageInfo) -> np.ndarray:
    """Scale and byte-swap ``raw`` exactly as ``np.asanyarray(img.dataobj)`` does."""
    if info.scaled:
        # The same call nibabel's ArrayProxy makes, so dtype and rounding match.
        raw = apply_read_scaling(raw, info.slope, info.inter)
    if not raw.dtype.isnative:
        raw = raw.astype(raw.dtype.newbyteorder("="))
    return raw
