"""FreeSurfer ``.mgh``/``.mgz`` surface series: one file per hemisphere, read as one image.

FreeSurfer's ``mri_vol2surf`` writes a run sampled on a surface as
``lh.<name>.mgz`` and ``rh.<name>.mgz`` (or BIDS-named ``hemi-L``/``hemi-R``
files): an MGH volume of ``vertices x 1 x 1 x frames``. The halves pair by
name like GIFTI's and are read as one image of every vertex of each mesh
(:func:`~niimasker_core.domains.surface.gifti.join_hemispheres`). MGH files
carry no hemisphere metadata, so the name says which half a file is.

Each file is read whole with nibabel (``.mgz`` is gzip-compressed, so a
frame cannot be reached without inflating the ones before it), then
streamed from memory. The repetition time is the header's ``tr`` field, in
milliseconds (0: unknown).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nibabel.freesurfer import mghformat

from ...errors import ImageNotFoundError, InputFileError
from .gifti import GiftiSeries, join_hemispheres
from .hemispheres import hemisphere_of_name

__all__ = ["open_mgh_series", "read_mgh_t_r"]


def _t_r(header: mghformat.MGHHeader) -> float | None:
    """Return the header's ``tr`` (milliseconds) in seconds, None when 0 or absent."""
    value = float(header["tr"])
    return value / 1000.0 if np.isfinite(value) and value > 0 else None


def _read_half(path: str) -> tuple[str, str, np.ndarray, float | None]:
    """Read one hemisphere: its file, structure, ``(volumes, vertices)`` data and TR."""
    if not Path(path).is_file():
        raise ImageNotFoundError(f"Input image not found: '{path}'. Check the path.")
    structure = hemisphere_of_name(path)
    if structure is None:
        raise InputFileError(
            f"Cannot tell which hemisphere '{path}' holds: an MGH file has no "
            "hemisphere metadata and its name has no lh./rh. or hemi-L/hemi-R. "
            "Rename it (e.g. lh.sub-01_task-rest_bold.mgz)."
        )
    try:
        img = mghformat.load(path)
        data = np.asarray(img.dataobj)
    except Exception as exc:
        raise InputFileError(
            f"Cannot read input image '{path}' as a FreeSurfer MGH file ({exc})."
        ) from None
    if data.dtype.kind not in "fiu":
        raise InputFileError(
            f"Input image '{path}' holds {data.dtype} values; numbers are needed."
        )
    # vertices may be spread over the three spatial dimensions (FreeSurfer
    # does so for large meshes): they run width first, as MGH stores them
    frames = data.reshape(int(np.prod(data.shape[:3])), -1, order="F").T
    native = frames.astype(frames.dtype.newbyteorder("="), copy=False)
    return path, structure, native, _t_r(img.header)


def open_mgh_series(path: str, companions: tuple[str, ...] = ()) -> GiftiSeries:
    """Read an MGH surface run: one hemisphere, or both (``path`` and its other half).

    Parameters
    ----------
    path : str
        One hemisphere's ``.mgh``/``.mgz`` (the left one of a pair).
    companions : tuple of str
        The other hemisphere's file, when the run has both.

    Raises
    ------
    ImageNotFoundError
        If a file does not exist.
    InputFileError
        If a file cannot be read, its hemisphere cannot be told from its
        name, both are the same hemisphere, or they differ in their number
        of volumes.
    """
    return join_hemispheres(path, [_read_half(f) for f in (path, *companions)])


def read_mgh_t_r(path: str) -> float | None:
    """Return an MGH file's ``tr`` in seconds (None: 0, absent or unreadable).

    Only the header is read.
    """
    try:
        return _t_r(mghformat.load(path).header)
    except Exception:
        return None
