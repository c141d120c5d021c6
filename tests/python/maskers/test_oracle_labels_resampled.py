"""Oracle tests: region names when resampling the atlas to the data drops regions.

The cases of nilearn 0.14.1's own ``test_region_names[affine_data1-*]`` and
``test_region_names_ids_match_after_fit[*-affine_data1-*]``: a 1 mm atlas of
nine regions resampled to a 4 mm image keeps only regions 5 and 6. nilearn
names them ``region_5`` and ``region_6`` and its ``lut_`` keeps every region
of the atlas as given; every attribute and output of ours must be nilearn's.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import nilearn.maskers as nl
import numpy as np
import pandas as pd
import pytest
from nilearn._utils.data_gen import generate_labeled_regions, generate_random_img

import niimasker_core as core

SHAPE = (7, 8, 9)
N_REGIONS = 9
NAMES = [f"region_{i}" for i in range(1, N_REGIONS + 1)]
NAMINGS = {
    "labels": {"labels": NAMES},
    "labels-background": {"labels": ["background", *NAMES]},
    "labels-Background": {"labels": ["Background", *NAMES]},
    "lut": {
        "lut": pd.DataFrame(
            {"index": range(N_REGIONS + 1), "name": ["Background", *NAMES]}
        )
    },
    "none": {},
}


def atlas(dtype: str = "int32") -> nib.Nifti1Image:
    """Nine regions on a 1 mm grid (nilearn's test atlas)."""
    return generate_labeled_regions(
        SHAPE, affine=np.eye(4), n_regions=N_REGIONS, dtype=dtype
    )


def coarse_bold() -> nib.Nifti1Image:
    """An image on a 4 mm grid: resampling the atlas to it keeps regions 5 and 6."""
    img, _ = generate_random_img((*SHAPE, 6), affine=np.diag((4, 4, 4, 4)))
    return img


def run(module, name, labels_img, imgs, fit_first, **kwargs):
    """Return the masker fitted (on ``imgs`` or on nothing) and its pandas output."""
    settings = {k: list(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    masker = getattr(module, name)(
        labels_img, resampling_target="data", standardize=None, **settings
    ).set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fit_first:
            signals = masker.fit_transform(imgs)
        else:  # the atlas resampled at transform time
            signals = masker.fit().transform(imgs)
    return masker, signals


def assert_same_regions(ours, theirs, got, expected) -> None:
    """Every attribute naming the columns, the columns and the signals: nilearn's."""
    assert ours.region_names_ == theirs.region_names_
    assert ours.region_ids_ == theirs.region_ids_
    assert ours.labels_ == theirs.labels_
    assert ours.n_elements_ == theirs.n_elements_
    assert ours.get_feature_names_out() == theirs.get_feature_names_out()
    pd.testing.assert_frame_equal(ours.lut_, theirs.lut_)
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("name", ["NiftiLabelsMasker", "MultiNiftiLabelsMasker"])
@pytest.mark.parametrize("naming", list(NAMINGS))
@pytest.mark.parametrize("dtype", ["int32", "float32"])
@pytest.mark.parametrize("fit_first", [True, False], ids=["fit", "transform"])
def test_names_after_resampling_drops_regions_are_nilearns(
    name, naming, dtype, fit_first
):
    labels_img, imgs = atlas(dtype), coarse_bold()
    theirs, expected = run(nl, name, labels_img, imgs, fit_first, **NAMINGS[naming])
    ours, got = run(core, name, labels_img, imgs, fit_first, **NAMINGS[naming])
    if naming != "none":  # unnamed regions are named by their value ("5.0", ...)
        assert list(expected.columns) == ["region_5", "region_6"]
    assert_same_regions(ours, theirs, got, expected)


@pytest.mark.parametrize("keep_masked_labels", [False, True])
def test_names_after_resampling_and_mask_are_nilearns(keep_masked_labels):
    labels_img, imgs = atlas(), coarse_bold()
    labels = np.asanyarray(labels_img.dataobj)
    mask = nib.Nifti1Image(np.isin(labels, [1, 2, 5]).astype(np.int8), np.eye(4))
    settings = {
        "labels": ["background", *NAMES],
        "mask_img": mask,
        "keep_masked_labels": keep_masked_labels,
    }
    theirs, expected = run(nl, "NiftiLabelsMasker", labels_img, imgs, True, **settings)
    ours, got = run(core, "NiftiLabelsMasker", labels_img, imgs, True, **settings)
    assert_same_regions(ours, theirs, got, expected)


def test_fitted_names_before_transform_are_nilearns():
    """After ``fit`` on the data (no transform yet), nilearn describes the whole atlas."""
    labels_img, imgs = atlas(), coarse_bold()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nl.NiftiLabelsMasker(labels_img, labels=list(NAMES)).fit(imgs)
        ours = core.NiftiLabelsMasker(labels_img, labels=list(NAMES)).fit(imgs)
    assert ours.region_names_ == theirs.region_names_
    assert ours.region_ids_ == theirs.region_ids_
    assert ours.n_elements_ == theirs.n_elements_ == N_REGIONS
    pd.testing.assert_frame_equal(ours.lut_, theirs.lut_)
