"""Read a 4D NIfTI image lazily, a chunk of volumes at a time.

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

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.volumeutils import apply_read_scaling

from ...errors import ImageNotFoundError, InputFileError, NiimaskerError
from ..base import CHUNK_BYTES
from .grid import Grid
from .memory import read_voxels_in_memory

__all__ = [
    "ImageInfo",
    "array_image_info",
    "check_geometry",
    "header_t_r",
    "read_header_t_r",
    "iter_chunks",
    "read_image_info",
]


#: Compressed bytes ISA-L reads from disk at a time.
_GZIP_READ_BYTES = 2**20


@dataclass(frozen=True)
class ImageInfo:
    """What is known about a 4D image from its header alone."""

    path: str
    shape: tuple[int, int, int]
    n_volumes: int
    affine: np.ndarray
    raw_dtype: np.dtype  # as stored, byte order included
    dtype: np.dtype  # after scaling, native byte order, as nibabel returns it
    offset: int
    slope: np.ndarray  # nibabel's scale factors, their own dtype kept (0-d)
    inter: np.ndarray
    header_t_r: float | None  # pixdim[4] in seconds, if the units say so
    array: np.ndarray | None = None  # the data of an in-memory image, (x, y, z, t)

    @property
    def n_voxels(self) -> int:
        """Return the number of voxels in one volume."""
        return int(np.prod(self.shape))

    @property
    def scaled(self) -> bool:
        """Return True when ``scl_slope``/``scl_inter`` change the stored values."""
        return bool(self.slope != 1.0 or self.inter != 0.0)

    @property
    def domain(self) -> Grid:
        """The voxel grid of its volumes."""
        return Grid(self.shape, self.affine)

    @property
    def volume_bytes(self) -> int:
        """Bytes of one stored volume."""
        return self.n_voxels * self.raw_dtype.itemsize

    @property
    def source_dtype(self) -> np.dtype:
        """The values' dtype as nilearn's maskers see it: float64 when scaled."""
        return np.dtype(np.float64) if self.scaled else self.raw_dtype.newbyteorder("=")

    def chunks(
        self, start: int = 0, chunk_bytes: int = CHUNK_BYTES, read_ahead: bool = True
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first_volume, block)`` of consecutive volumes (see :func:`iter_chunks`)."""
        return iter_chunks(
            self, start=start, chunk_bytes=chunk_bytes, read_ahead=read_ahead
        )

    def read_zeroed(
        self, samples: np.ndarray, domain: Grid | None, smoothing_fwhm: float | None
    ) -> np.ndarray:
        """Read ``samples`` in memory, non-finite values as 0, as nilearn's maskers.

        ``samples`` are voxels of ``domain`` (None: the image's own grid, else
        the image is resampled to it). See
        :func:`~niimasker_core.domains.volume.memory.read_voxels_in_memory`.
        """
        if self.array is not None:
            img = nib.Nifti1Image(self.array, self.affine)
        else:
            from nilearn.image import load_img  # nilearn: imported when used

            img = load_img(self.path)
        grid = self.domain if domain is None else domain
        return read_voxels_in_memory(img, samples, grid, domain is None, smoothing_fwhm)


def read_image_info(path: str | Path, *, need_4d: bool = True) -> ImageInfo:
    """Read the header of an image and check that it can be streamed.

    Parameters
    ----------
    path : str or Path
        A ``.nii`` or ``.nii.gz`` file.
    need_4d : bool
        Raise if the image is not 4D (a 3D image is one volume otherwise).
        A 5D image whose extra dimensions are singletons, such as
        ``(x, y, z, 1, t)``, counts as 4D.

    Returns
    -------
    ImageInfo
        Shape, affine, data type, scaling and the TR found in the header.

    Raises
    ------
    ImageNotFoundError
        If ``path`` does not exist.
    InputFileError
        If the file is not a NIfTI image, or not 4D when ``need_4d``.
    """
    path = str(path)
    if not Path(path).is_file():
        raise ImageNotFoundError(
            f"Input image not found: '{path}'. Check the path and, for a wildcard "
            "pattern, that it matches files."
        )
    try:
        img = nib.load(path)
    except Exception as exc:
        raise InputFileError(
            f"Cannot read '{path}' as a NIfTI image ({exc}). Give a .nii or .nii.gz "
            "file."
        ) from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InputFileError(
            f"'{path}' is a {type(img).__name__}, not a NIfTI image. Convert it to "
            ".nii or .nii.gz first."
        )
    check_geometry(img.shape, img.affine, f"'{path}'", InputFileError)
    shape = tuple(int(n) for n in img.shape)
    n_volumes = _volume_count(shape, path, need_4d)
    proxy = img.dataobj
    slope = np.asanyarray(proxy._slope)
    inter = np.asanyarray(proxy._inter)
    raw_dtype = img.header.get_data_dtype()
    dtype = apply_read_scaling(np.zeros(1, raw_dtype), slope, inter).dtype
    return ImageInfo(
        path=path,
        shape=shape[:3],
        n_volumes=n_volumes,
        affine=img.affine,
        raw_dtype=raw_dtype,
        dtype=np.dtype(dtype.newbyteorder("=")),
        offset=int(proxy.offset),
        slope=slope,
        inter=inter,
        header_t_r=header_t_r(img.header),
    )


def check_geometry(
    shape: tuple[int, ...],
    affine: np.ndarray | None,
    name: str,
    error: type[NiimaskerError],
) -> None:
    """Refuse a header whose sizes or affine cannot place voxels in space.

    Parameters
    ----------
    shape : tuple of int
        The image shape from the header.
    affine : numpy.ndarray or None
        The image's affine (sform, else qform, as nibabel chooses).
    name : str
        How messages name the image, e.g. ``"'roi_file' 'atlas.nii.gz'"``.
    error : type
        The :class:`NiimaskerError` subclass to raise.

    Raises
    ------
    NiimaskerError
        ``error``, naming the file, the problem and the fix.
    """
    if any(int(n) < 0 for n in shape) or any(int(n) == 0 for n in shape[:3]):
        raise error(
            f"{name} has dimensions {tuple(int(n) for n in shape)} in its header: a "
            "negative or zero size, so the header is corrupt. Regenerate the file, "
            "or repair its header (dim) with nibabel or fslhd/fslcreatehd."
        )
    if affine is None:
        return
    affine = np.asarray(affine, dtype=np.float64)
    if not np.isfinite(affine).all():
        problem = "has NaN or infinite values"
    elif not np.isfinite(np.linalg.det(affine[:3, :3])) or (
        abs(np.linalg.det(affine[:3, :3])) < 1e-12
    ):
        problem = "is singular (e.g. all zeros)"
    else:
        return
    raise error(
        f"{name}: its affine (the header's sform/qform) {problem}, so no voxel has a "
        "position in mm and it cannot be aligned with other images. Repair the "
        "header, e.g. copy the geometry of the image it came from with nibabel or "
        "fslcpgeom."
    )


def array_image_info(data: np.ndarray, affine: np.ndarray, name: str) -> ImageInfo:
    """Describe an in-memory 3D or 4D array so that it streams like a file.

    Parameters
    ----------
    data : numpy.ndarray
        ``(x, y, z)`` or ``(x, y, z, t)`` values, e.g. ``np.asanyarray(img.dataobj)``.
    affine : numpy.ndarray
        The image's affine.
    name : str
        How messages name the image (it has no file).

    Returns
    -------
    ImageInfo
        Chunks come from ``data`` itself (:func:`iter_chunks`), no file is read.
    """
    data = np.asanyarray(data)
    if data.ndim == 3:
        data = data[..., np.newaxis]
    dtype = np.dtype(data.dtype.newbyteorder("="))
    return ImageInfo(
        path=name,
        shape=tuple(int(n) for n in data.shape[:3]),
        n_volumes=int(data.shape[3]),
        affine=np.asarray(affine, dtype=np.float64),
        raw_dtype=dtype,
        dtype=dtype,
        offset=0,
        slope=np.asanyarray(1.0),
        inter=np.asanyarray(0.0),
        header_t_r=None,
        array=data,
    )


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


def _volume_count(shape: tuple[int, ...], path: str, need_4d: bool) -> int:
    extra = shape[3:]
    if len(shape) < 3 or sum(n > 1 for n in extra) > 1:
        raise InputFileError(
            "{file} has {n} dimensions {shape}; a 4D image (x, y, z, time) is needed.",
            file=path,
            n=len(shape),
            shape=tuple(int(n) for n in shape),
        )
    if need_4d and not extra:
        raise InputFileError(
            "{file} is a 3D image {shape}; a 4D fMRI series is needed.",
            file=path,
            shape=tuple(int(n) for n in shape),
            fix="Pass the 4D BOLD run, not a single volume or a mask.",
        )
    # (x, y, z, 1, t) and (x, y, z, t, 1) hold their volumes in the same
    # Fortran layout as (x, y, z, t).
    n_volumes = int(np.prod(extra)) if extra else 1
    if n_volumes == 0:
        raise InputFileError(
            f"'{path}' has 0 volumes (its header's time dimension is 0), so it holds "
            "no data. Check that the file was written completely, or regenerate it."
        )
    return n_volumes


def read_header_t_r(path: str) -> float | None:
    """Return the TR in seconds from a NIfTI file's header (``pixdim[4]`` with its units).

    Only the header is read. Returns None when the file cannot be opened,
    has no fourth zoom, or its time units are unknown.
    """
    try:
        return header_t_r(nib.load(path).header)
    except Exception:  # unreadable here; the image reader reports it properly
        return None


def header_t_r(header: nib.Nifti1Header) -> float | None:
    """Return the TR in seconds from a NIfTI header (``pixdim[4]`` with its units).

    Returns None when there is no fourth zoom or its time units are unknown.
    """
    zooms = header.get_zooms()
    if len(zooms) < 4 or not zooms[3] or zooms[3] <= 0:
        return None
    _, time_unit = header.get_xyzt_units()
    factor = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6}.get(time_unit)
    if factor is None:
        return None
    return float(zooms[3]) * factor


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
                from nibabel.openers import ImageOpener

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
    try:
        from isal.isal_zlib import _GzipReader
    except ImportError:  # pragma: no cover - python-isal < 1.6 or missing
        import gzip

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
            from concurrent.futures import ThreadPoolExecutor

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
        f"'{info.path}' ends early: {volume} of its {info.n_volumes} volumes are "
        f"complete and volume {volume} (0-based) is cut short, so the file is "
        "truncated (an interrupted copy or download?). Re-copy or regenerate it."
    )


def _data_bytes(path: str) -> int | None:
    """Return the bytes the file holds once decompressed, up to where it breaks."""
    import zlib

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
