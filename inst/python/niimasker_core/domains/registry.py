"""How image files are opened: one entry per kind of file, each giving a domain's image.

:data:`IMAGE_READERS` lists, for each kind of image file, the suffixes that
name it (stripped to make output names and to find the BIDS JSON sidecar),
how its header is read into a streamable
:class:`~niimasker_core.domains.base.SampledImage`, and where its header
keeps the repetition time. A path is read by the reader whose suffix is the
longest that ends it (``.dtseries.nii`` is CIFTI, not NIfTI); a path no
reader claims is read as NIfTI, whose reader names what is wrong with it. A
new domain adds its reader here; the batch opens every image through
:func:`open_image`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError
from .base import SampledImage
from .surface.cifti import open_cifti_series, read_cifti_t_r
from .surface.gifti import open_gifti_series, read_gifti_t_r
from .surface.hemispheres import other_half, without_hemisphere
from .surface.mgh import open_mgh_series, read_mgh_t_r
from .volume.nifti import read_header_t_r, read_image_info

__all__ = [
    "IMAGE_READERS",
    "ImageReader",
    "image_sidecar_path",
    "image_stem",
    "image_stem_of",
    "join_halves",
    "image_suffixes",
    "open_image",
    "reader_of",
]


@dataclass(frozen=True)
class ImageReader:
    """One kind of image file.

    Attributes
    ----------
    name : str
        What the files are (``nifti``).
    suffixes : tuple of str
        Their name endings, longest first (``.nii.gz``, ``.nii``).
    open : callable
        ``open(path) -> SampledImage``: the header read, the data streamed
        later; a 3D image is one volume.
    header_t_r : callable
        ``header_t_r(path) -> float or None``: the repetition time the header
        holds, None when it has none or cannot be read.
    other_half : callable or None
        For files holding half an image (a hemisphere): ``other_half(path)``
        is the path the other half has by its naming rules ('' when the name
        follows none). Both given, they are one image, opened as
        ``open(path, (other,))``. None: every file is a whole image.
    header : str
        Where ``header_t_r`` reads the repetition time, in words (messages).
    """

    name: str
    suffixes: tuple[str, ...]
    open: Callable[..., SampledImage]
    header_t_r: Callable[[str], float | None]
    other_half: Callable[[str], str] | None = None
    header: str = "the NIfTI header"


#: Every kind of image file the batch reads, the default (NIfTI) first.
IMAGE_READERS: list[ImageReader] = [
    ImageReader(
        "nifti",
        (".nii.gz", ".nii"),
        lambda path: read_image_info(path, need_4d=False),
        read_header_t_r,
    ),
    ImageReader(
        "cifti",
        (".dtseries.nii", ".dscalar.nii"),
        open_cifti_series,
        read_cifti_t_r,
        header="the CIFTI series axis",
    ),
    ImageReader(
        "gifti",
        (".func.gii", ".shape.gii", ".gii"),
        open_gifti_series,
        read_gifti_t_r,
        other_half=other_half,
        header="the GIFTI TimeStep",
    ),
    ImageReader(
        "mgh",
        (".mgz", ".mgh"),
        open_mgh_series,
        read_mgh_t_r,
        other_half=other_half,
        header="the MGH header",
    ),
]


def reader_of(path: str) -> ImageReader:
    """Return the reader of a file: the one whose suffix ending it is longest.

    NIfTI when none claims it.
    """
    name = Path(path).name
    claims = [
        (len(suffix), reader)
        for reader in IMAGE_READERS
        for suffix in reader.suffixes
        if name.endswith(suffix)
    ]
    return max(claims, key=lambda c: c[0])[1] if claims else IMAGE_READERS[0]


def open_image(path: str, companions: tuple[str, ...] = ()) -> SampledImage:
    """Read an image's header into an image the engine streams.

    ``companions`` are the other files of an image held in several (the
    other hemisphere, see :func:`join_halves`).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    InputFileError
        If it cannot be read as its kind of image.
    """
    if companions:
        image = reader_of(path).open(path, tuple(companions))
    else:
        image = reader_of(path).open(path)
    _check_real(image, path)
    return image


def _check_real(image: SampledImage, path: str) -> None:
    """Refuse values that are not real numbers (complex, RGB): no mean has a meaning."""
    kind = np.dtype(image.dtype).kind
    if kind not in "biuf":
        raise InputFileError(
            "{file} holds {dtype} values, not real numbers: regions' means and "
            "cleaning need real values.",
            file=path,
            dtype=str(np.dtype(image.dtype)),
            fix="Convert it first (e.g. the magnitude: numpy.abs of the data, saved "
            "as float32).",
        )


def join_halves(paths: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Return each image as its first file and the other files it is made of.

    Two files that are each other's other half (``hemi-L`` and ``hemi-R``)
    are one image, named by the first in ``paths``; any other file is an
    image of its own.
    """
    given = {os.path.normpath(p): p for p in paths}
    taken: set[str] = set()
    images = []
    for path in paths:
        if os.path.normpath(path) in taken:
            continue
        reader = reader_of(path)
        other = reader.other_half(path) if reader.other_half else ""
        partner = given.get(os.path.normpath(other)) if other else None
        if partner is not None and os.path.normpath(partner) not in taken:
            taken.add(os.path.normpath(partner))
            images.append((path, (partner,)))
        else:
            images.append((path, ()))
    return images


def image_stem_of(path: str, companions: tuple[str, ...] = ()) -> str:
    """Return an image's output stem: a pair's without the hemisphere."""
    stem = image_stem(path)
    return without_hemisphere(stem) if companions else stem


def image_suffixes() -> tuple[str, ...]:
    """Return every image name ending the readers know, longest first."""
    suffixes = {s for reader in IMAGE_READERS for s in reader.suffixes}
    return tuple(sorted(suffixes, key=len, reverse=True))


def _strip(name: str) -> str | None:
    for suffix in image_suffixes():
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def image_stem(path: str) -> str:
    """Return the image's file name without its image suffix (``.nii.gz``...)."""
    name = Path(path).name
    stem = _strip(name)
    return Path(name).stem if stem is None else stem


def image_sidecar_path(path: str) -> Path:
    """Return the BIDS JSON sidecar of an image (``.nii.gz`` -> ``.json``)."""
    stem = _strip(Path(path).name)
    if stem is None:
        return Path(path).with_suffix(".json")
    return Path(path).with_name(stem + ".json")
