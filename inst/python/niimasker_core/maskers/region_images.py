"""Region images as nilearn's maskers load and align them, without nilearn's masker stack.

``fit`` of the region maskers needs nilearn's rules (label checks, masks,
field-of-view checks, nearest-neighbour resampling, the look-up table) but
not the cost of importing ``nilearn.maskers`` (with scikit-learn's estimator
checks, over a second) or ``nilearn.masking``: these functions reproduce
those rules with nibabel and import nilearn's modules only where the work is
theirs (resampling, look-up tables, inverse transforms).
"""

from __future__ import annotations

import warnings
from copy import deepcopy
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ..params.vocabulary import target_dtype
from ..rois.voxels import finite_mask_data

__all__ = [
    "check_fovs",
    "check_same_grid",
    "default_lut",
    "image_grid",
    "inverse_dtype",
    "label_lut",
    "load_3d",
    "load_mask",
    "masked_labels",
    "resample_nearest",
    "same_fov",
]


def _load(img: Any) -> Any:
    if isinstance(img, (str, Path)):
        return nib.load(str(Path(img).expanduser()))
    if isinstance(img, nib.spatialimages.SpatialImage):
        return img
    from nilearn.image import check_niimg

    return check_niimg(img)


def load_3d(img: Any, name: str) -> nib.Nifti1Image:
    """Return a 3D image (a 4D one with a single volume is squeezed), as ``check_niimg_3d``.

    Parameters
    ----------
    img : path or nibabel image
        The image.
    name : str
        The parameter it was given as (for messages).

    Returns
    -------
    nibabel.Nifti1Image
        The image; a file's data stay on disk until read.

    Raises
    ------
    ValueError
        If the image is not 3D.
    """
    loaded = _load(img)
    if len(loaded.shape) == 4 and loaded.shape[3] == 1:
        loaded = nib.Nifti1Image(
            np.asanyarray(loaded.dataobj)[..., 0], loaded.affine, loaded.header
        )
    if len(loaded.shape) != 3:
        raise ValueError(
            f"'{name}' must be a 3D image; it has shape {loaded.shape}. Give a 3D "
            "image (or a 4D image with one volume)."
        )
    return loaded


def load_mask(img: Any) -> nib.Nifti1Image:
    """Return ``mask_img`` as nilearn's maskers load it: non-zero (in every volume) is in.

    Parameters
    ----------
    img : path or nibabel image
        The mask, 3D (or 4D: a voxel is in when non-zero in every volume).

    Returns
    -------
    nibabel.Nifti1Image
        An int8 mask (0/1).

    Raises
    ------
    ValueError
        If the mask has no voxel.
    """
    loaded = _load(img)
    data = np.asanyarray(loaded.dataobj)
    if data.ndim == 3:
        data = data[..., np.newaxis]
    mask = finite_mask_data(data).astype(bool).all(axis=3)
    if not mask.any():
        raise ValueError("The mask is invalid as it is empty: it masks all data.")
    from nilearn.image import get_data

    out = nib.Nifti1Image(mask.astype(np.int8), loaded.affine)
    # nilearn reads its fitted masks once (its data cache is set), so reading
    # the mask later does not change the image (its joblib hash)
    get_data(out)
    return out


def image_grid(imgs: Any) -> tuple[tuple[int, int, int], np.ndarray]:
    """Return the spatial shape and affine of an image (the first of a list), from its header.

    Parameters
    ----------
    imgs : path, nibabel image or list of them
        The image(s) given to ``fit``.

    Returns
    -------
    tuple
        ``(shape, affine)``.
    """
    if isinstance(imgs, (list, tuple)):
        if not imgs:
            raise ValueError("'imgs' is an empty list: give at least one image.")
        imgs = imgs[0]
    loaded = _load(imgs)
    return tuple(int(n) for n in loaded.shape[:3]), loaded.affine


def same_fov(img: Any, shape: tuple[int, ...], affine: np.ndarray) -> bool:
    """Return True when ``img`` is on the grid ``(shape, affine)``, as ``check_same_fov``."""
    return tuple(img.shape[:3]) == tuple(shape[:3]) and np.allclose(img.affine, affine)


def check_fovs(fovs: list[tuple[str, tuple[int, ...], np.ndarray]]) -> None:
    """Raise nilearn's error when named grids differ (``resampling_target=None``).

    Parameters
    ----------
    fovs : list of (name, shape, affine)
        The grids to compare pairwise.

    Raises
    ------
    ValueError
        Naming every pair of grids that differ in shape or affine.
    """
    errors = []
    for i, (a, shape_a, affine_a) in enumerate(fovs):
        for b, shape_b, affine_b in fovs[i + 1 :]:
            if tuple(shape_a[:3]) != tuple(shape_b[:3]):
                errors.append(f"{a} and {b} do not have the same shape")
            if not np.allclose(affine_a, affine_b):
                errors.append(f"{a} and {b} do not have the same affine")
    if errors:
        raise ValueError(
            "Following field of view errors were detected:\n"
            + "\n".join(f"- {e}" for e in errors)
        )


def check_same_grid(shape: tuple[int, ...], affine: np.ndarray, img: Any) -> None:
    """Raise nilearn's transform-time errors when data and regions grids differ.

    As nilearn's signal extraction (``resampling_target=None``): the shapes
    first ("Images have incompatible shapes."), then the affines ("Images
    have different affine matrices.").
    """
    if tuple(shape[:3]) != tuple(img.shape[:3]):
        raise ValueError("Images have incompatible shapes.")
    if np.abs(np.asarray(affine) - img.affine).max() > 10 * np.finfo(float).eps:
        raise ValueError("Images have different affine matrices.")


def resample_nearest(img: Any, shape: tuple[int, ...], affine: np.ndarray) -> Any:
    """Resample a label image or mask to a grid with nearest neighbour, as nilearn's maskers."""
    from nilearn.image import resample_img

    if isinstance(img, nib.spatialimages.SpatialImage):
        # a new image object over the same array: resample_img caches data
        # on the image it gets, which would mutate the user's image
        img = nib.Nifti1Image(np.asanyarray(img.dataobj), img.affine, img.header)
    return resample_img(
        img,
        interpolation="nearest",
        target_shape=tuple(shape[:3]),
        target_affine=affine,
    )


def masked_labels(
    labels_img: Any, mask_img: Any, background_label: Any, keep_masked_labels: bool
) -> tuple[list, np.ndarray]:
    """Return the regions and label array after ``mask_img``, as nilearn's ``_get_labels_data``.

    Parameters
    ----------
    labels_img : nibabel image
        The atlas, on the extraction grid.
    mask_img : nibabel image or None
        The mask, on the same grid.
    background_label : int or float
        The background value.
    keep_masked_labels : bool
        Keep the regions the mask empties (nilearn's deprecated option; it
        warns, as here).

    Returns
    -------
    labels : list
        Label values of the output columns, in order.
    data : numpy.ndarray
        The labels, background outside the mask.

    Raises
    ------
    ValueError
        If the mask leaves no region.
    """
    data = np.asanyarray(labels_img.dataobj)
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        data = np.where(np.isfinite(data), data, 0)
    if keep_masked_labels:
        labels = list(np.unique(data))
        warnings.warn(
            'In version 0.15.0, "keep_masked_labels" parameter will be removed.',
            FutureWarning,
            stacklevel=5,
        )
    if mask_img is not None:
        inside = np.asanyarray(mask_img.dataobj)
        inside = np.where(np.isfinite(inside), inside, 0).astype(bool)
        data = data.copy()
        before = {int(label) for label in np.unique(data)}
        data[~inside] = background_label
        after = {int(label) for label in np.unique(data)}
        removed = before - after
        if removed and not keep_masked_labels:
            if len(after) == 1:
                raise ValueError(
                    "No label left after applying mask to the labels image."
                )
            warnings.warn(
                "After applying mask to the labels image, the following labels were "
                f"removed: {removed}. Out of {len(before)} labels, the masked labels "
                f"image only contains {len(after)} labels (including background).",
                stacklevel=5,
            )
    if not keep_masked_labels:
        labels = list(np.unique(data))
    if background_label in labels:
        labels.remove(background_label)
    return labels, data


def label_lut(labels_img: Any, background_label: Any, lut: Any, labels: Any):
    """Return the look-up table nilearn's labels maskers build (``_generate_lut``).

    Parameters
    ----------
    labels_img : nibabel image
        The atlas as given, before any resampling (nilearn's ``lut_`` keeps
        the regions resampling drops, and ``labels`` name the regions of this
        image in order).
    background_label : int or float
        The background value.
    lut : pandas.DataFrame, path or None
        The user's table.
    labels : list of str or None
        The user's names.

    Returns
    -------
    pandas.DataFrame
        ``index``, ``name`` (and ``color``) by ``index``, background first.
    """
    import pandas as pd
    from nilearn._utils.bids import (
        generate_atlas_look_up_table,
        sanitize_look_up_table,
    )
    from nilearn.image.image import get_indices_from_image

    # a new image object over the same array: nilearn's helpers cache
    # get_fdata() on the image they get, which would mutate the user's image
    labels_img = nib.Nifti1Image(
        np.asanyarray(labels_img.dataobj), labels_img.affine, labels_img.header
    )
    present = get_indices_from_image(labels_img)
    background = None if background_label not in present else background_label
    if lut is not None:
        if isinstance(lut, (str, Path)):
            lut = pd.read_table(lut, sep=None, engine="python")
    elif labels:
        names = ["Background" if n == "background" else n for n in labels]
        lut = generate_atlas_look_up_table(
            function=None,
            name=deepcopy(names),
            index=labels_img,
            background_label=background,
        )
    else:
        lut = generate_atlas_look_up_table(
            function=None, index=labels_img, background_label=background
        )
    lut = _background_first(lut, background_label)
    return (
        sanitize_look_up_table(lut, atlas=labels_img)
        .sort_values("index")
        .reset_index(drop=True)
    )


def default_lut(data: np.ndarray, background_label: Any):
    """Return :func:`label_lut` of an atlas given without ``lut`` or ``labels``, without nilearn.

    nilearn's steps for that case (``generate_atlas_look_up_table`` from the
    atlas's values, the background row put first or added, then
    ``sanitize_look_up_table`` and the sort), with pandas alone: importing
    nilearn's helpers imports ``nilearn.image`` (~0.3 s after scikit-learn),
    which a labels masker's process then never needs. The table is the same,
    dtypes included (tested against :func:`label_lut`).

    Parameters
    ----------
    data : numpy.ndarray
        The atlas's values as given (non-finite values already 0).
    background_label : int or float
        The background value.

    Returns
    -------
    pandas.DataFrame
        ``index`` and ``name`` by ``index``.
    """
    import pandas as pd

    present = np.unique(data)
    present = present[np.isfinite(present)]
    background = None if background_label not in present else background_label
    names = [
        "Background" if background is not None and x == background else str(x)
        for x in present
    ]
    lut = pd.DataFrame({"index": present.tolist(), "name": names})
    lut = _background_first(lut, background_label)
    lut = lut[lut["index"].isin(present)]
    return lut.sort_values("index").reset_index(drop=True)


def _background_first(lut: Any, background_label: Any):
    """Put the background's row first, named "Background", or add one (nilearn's step).

    Both look-up tables (:func:`label_lut`, :func:`default_lut`) take this
    step of nilearn's before its clean-up and sort.
    """
    import pandas as pd

    is_background = lut["index"] == background_label
    if is_background.any():
        lut = pd.concat([lut[is_background], lut[~is_background]], ignore_index=True)
        lut.loc[0, "name"] = "Background"
        return lut
    row = {"name": "Background", "index": background_label, "color": "FFFFFF"}
    row = {col: row.get(col, np.nan) for col in lut.columns}
    return pd.concat([pd.DataFrame([row]), lut], ignore_index=True)


def inverse_dtype(img: Any, signals: np.ndarray, dtype: Any) -> Any:
    """Give an inverse-transformed image the dtype nilearn's maskers give it."""
    from nilearn.image import new_img_like

    wanted = target_dtype(signals.dtype, dtype) or signals.dtype
    out = new_img_like(img, img.get_fdata().astype(wanted))
    out.set_data_dtype(wanted)
    return out
