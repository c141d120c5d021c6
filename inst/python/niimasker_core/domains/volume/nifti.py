"""A NIfTI image's header: shape, grid, data type, scaling and repetition time.

:func:`read_image_info` reads a header into an :class:`ImageInfo`, the
volume domain's :class:`~niimasker_core.domains.base.SampledImage`: its voxel
grid, and its volumes streamed a chunk at a time
(:mod:`niimasker_core.domains.volume.stream`). Values are scaled exactly as
nibabel's ``np.asanyarray(img.dataobj)`` scales them, which is what nilearn's
maskers read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.volumeutils import apply_read_scaling

from ...errors import ImageNotFoundError, InputFileError, NiimaskerError
from ..base import CHUNK_BYTES
from .grid import Grid
from .memory import read_voxels_in_memory
from .stream import iter_chunks

__all__ = [
    "ImageInfo",
    "array_image_info",
    "check_geometry",
    "header_t_r",
    "read_header_t_r",
    "read_image_info",
    "read_whole",
]


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

    #: Volumes are stored one after the other (see ``SampledImage``).
    sample_major = False

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


def read_whole(img: nib.spatialimages.SpatialImage, name: str) -> np.ndarray:
    """Read an image's whole data array, as ``np.asanyarray(img.dataobj)``.

    Parameters
    ----------
    img : nibabel image
        A NIfTI image, from a file or in memory.
    name : str
        How messages name the image, e.g. ``"'mask_img' 'mask.nii.gz'"``.

    Returns
    -------
    numpy.ndarray
        The data, scaled as nibabel scales them.

    Raises
    ------
    InputFileError
        If the file ends before the data its header claims, or is corrupt.
    """
    try:
        return np.asanyarray(img.dataobj)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise InputFileError(
            f"{name} cannot be read whole: its data stop before the size its header "
            f"claims {tuple(int(n) for n in img.shape)}, or are corrupt ({problem}). "
            "Re-copy or regenerate the file."
        ) from None


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
