"""Labelled atlases: strategies, mask_img, multi-label as_voxels and columns you can trust."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiLabelsMasker, NiftiMasker

from niimasker_core.errors import EmptyRegionWarning, LabelsError
from niimasker_core.faces.api import extract_timeseries

STRATEGIES = [
    "mean",
    "median",
    "sum",
    "minimum",
    "maximum",
    "variance",
    "standard_deviation",
]


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def ours(bold, roi, **kwargs):
    out = extract_timeseries([str(bold)], str(roi), **kwargs)
    return out.timeseries[0].data.to_numpy(), out


@pytest.fixture
def mask_file(tmp_path, affine, rng):
    mask = (rng.random((7, 8, 9)) > 0.4).astype(np.uint8)
    path = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(path)
    return path


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("detrend", [False, True])
def test_strategies_equal_nilearn(bold_file, atlas_file, strategy, detrend):
    masker = NiftiLabelsMasker(str(atlas_file), strategy=strategy, detrend=detrend)
    expected = quiet(masker.fit_transform, str(bold_file))
    got, _ = ours(bold_file, atlas_file, strategy=strategy, detrend=detrend)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )


@pytest.mark.parametrize("strategy", ["mean", "median", "maximum"])
def test_mask_img_equals_nilearn(bold_file, atlas_file, mask_file, strategy):
    masker = NiftiLabelsMasker(
        str(atlas_file), mask_img=str(mask_file), strategy=strategy
    )
    expected = quiet(masker.fit_transform, str(bold_file))
    got, out = ours(bold_file, atlas_file, mask_img=str(mask_file), strategy=strategy)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )
    assert out.timeseries[0].columns == ["1", "2", "3", "4", "5"]


def test_mask_img_on_another_grid_is_resampled_nearest(
    tmp_path, bold_file, atlas_file, rng
):
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-11.0, -15.0, -19.0]
    path = tmp_path / "mask_2mm.nii.gz"
    nib.Nifti1Image(
        (rng.random((11, 14, 18)) > 0.3).astype(np.uint8), affine
    ).to_filename(path)
    expected = quiet(
        NiftiLabelsMasker(str(atlas_file), mask_img=str(path)).fit_transform,
        str(bold_file),
    )
    got, _ = ours(bold_file, atlas_file, mask_img=str(path))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_region_emptied_by_mask_stays_a_nan_column(
    tmp_path, bold_file, atlas_file, affine
):
    atlas = np.asanyarray(nib.load(atlas_file).dataobj)
    mask = (atlas != 3).astype(np.uint8)
    path = tmp_path / "no3.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(path)
    expected = quiet(
        NiftiLabelsMasker(str(atlas_file), mask_img=str(path)).fit_transform,
        str(bold_file),
    )
    out_dir = tmp_path / "out"
    with pytest.warns(EmptyRegionWarning, match="'3' has no voxels"):
        got, out = ours(
            bold_file, atlas_file, mask_img=str(path), output_dir=str(out_dir)
        )
    assert out.timeseries[0].columns == ["1", "2", "3", "4", "5"]
    assert np.isnan(got[:, 2]).all()
    np.testing.assert_allclose(
        np.delete(got, 2, axis=1), expected, rtol=1e-6
    )  # nilearn drops it
    assert out.timeseries[0].sidecar["EmptyRegions"] == ["3"]
    coverage = pd.read_csv(next(out_dir.glob("*_coverage.tsv")), sep="\t")
    row = coverage.set_index("region").loc[3]
    assert row["voxels_in_roi"] == int((atlas == 3).sum()) and row["voxels_used"] == 0
    table = pd.read_csv(next(out_dir.glob("*_timeseries.tsv")), sep="\t")
    assert list(table.columns) == ["1", "2", "3", "4", "5"] and table["3"].isna().all()


def test_single_region_mask_ignores_mask_img_with_warning(
    tmp_path, bold_file, mask_file, affine
):
    roi = np.zeros((7, 8, 9), np.uint8)
    roi[2:5, 2:6, 3:7] = 1
    path = tmp_path / "roi.nii.gz"
    nib.Nifti1Image(roi, affine).to_filename(path)
    with pytest.warns(UserWarning, match="'mask_img' is ignored"):
        got, _ = ours(bold_file, path, mask_img=str(mask_file))
    expected = quiet(NiftiLabelsMasker(str(path)).fit_transform, str(bold_file))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_multi_label_as_voxels_gives_every_voxel_of_every_region(bold_file, atlas_file):
    atlas = np.asanyarray(nib.load(atlas_file).dataobj)
    got, out = ours(
        bold_file, atlas_file, as_voxels=True, labels=["a", "b", "c", "d", "e"]
    )
    columns = out.timeseries[0].columns
    assert got.shape[1] == int((atlas > 0).sum()) == len(columns)
    start = 0
    for value, name in enumerate("abcde", start=1):
        region = nib.Nifti1Image(
            (atlas == value).astype(np.uint8), nib.load(atlas_file).affine
        )
        expected = quiet(NiftiMasker(region).fit_transform, str(bold_file))
        stop = start + expected.shape[1]
        ijk = np.argwhere(atlas == value)  # C order, as NiftiMasker orders voxels
        assert columns[start:stop] == [f"{name}_{i}_{j}_{k}" for i, j, k in ijk]
        np.testing.assert_allclose(got[:, start:stop], expected, rtol=1e-6)
        start = stop


def test_labels_table_regions_absent_from_atlas_are_columns(
    tmp_path, bold_file, atlas_file
):
    table = pd.DataFrame(
        {
            "index": [0, 1, 2, 3, 4, 5, 9],
            "name": ["Background", "V1", "V2", "M1", "S1", "A1", "PFC"],
        }
    )
    labels = tmp_path / "atlas_dseg.tsv"
    table.to_csv(labels, sep="\t", index=False)
    got, out = ours(bold_file, atlas_file, labels=str(labels))
    assert out.timeseries[0].columns == ["V1", "V2", "M1", "S1", "A1", "PFC"]
    assert np.isnan(got[:, 5]).all() and out.timeseries[0].sidecar["EmptyRegions"] == [
        "PFC"
    ]
    expected = quiet(NiftiLabelsMasker(str(atlas_file)).fit_transform, str(bold_file))
    np.testing.assert_allclose(got[:, :5], expected, rtol=1e-6)


@pytest.mark.parametrize("first", ["Background", "background", "0", "Unknown"])
def test_label_list_with_background_name(bold_file, atlas_file, first):
    _, out = ours(bold_file, atlas_file, labels=[first, "a", "b", "c", "d", "e"])
    assert out.timeseries[0].columns == ["a", "b", "c", "d", "e"]


def test_label_count_mismatch_is_an_error(bold_file, atlas_file):
    with pytest.raises(LabelsError, match="has 3 names but .* has 5 regions"):
        extract_timeseries([str(bold_file)], str(atlas_file), labels=["a", "b", "c"])


def test_as_voxels_lists_a_region_without_voxels(tmp_path, bold_file, atlas_file):
    table = pd.DataFrame({"index": [1, 2, 3, 4, 5, 6], "name": list("abcdef")})
    labels = tmp_path / "dseg.tsv"
    table.to_csv(labels, sep="\t", index=False)
    with pytest.warns(EmptyRegionWarning, match="'f' has no voxels"):
        _, out = ours(bold_file, atlas_file, labels=str(labels), as_voxels=True)
    assert out.timeseries[0].sidecar["EmptyRegions"] == ["f"]
    assert not any(c.startswith("f_") for c in out.timeseries[0].columns)


@pytest.mark.parametrize("strategy", STRATEGIES[1:])
def test_statistics_are_bit_identical_to_ndimage(rng, affine, strategy):
    from scipy import ndimage

    from niimasker_core.rois.label_image import statistic_reducer

    labels = rng.integers(0, 6, (7, 8, 9))
    labels[labels == 4] = 0  # region 4 absent: a NaN column
    # a wide dynamic range, so float64 sums are inexact and their order shows
    volumes = (
        rng.lognormal(0, 8, (5, 7, 8, 9)) * rng.choice([-1, 1], (5, 7, 8, 9))
    ).astype(np.float32)
    reduction = statistic_reducer(labels, [1, 2, 3, 4, 5], list("abcde"), strategy)
    flat = volumes.reshape(5, -1, order="C")
    c_voxels = np.ravel_multi_index(
        np.unravel_index(reduction.voxels, labels.shape, order="F"), labels.shape
    )
    got = reduction.reduce(flat[:, c_voxels])
    for row in range(5):
        expected = getattr(ndimage, strategy)(
            volumes[row], labels=labels, index=[1, 2, 3, 5]
        )
        np.testing.assert_array_equal(got[row, [0, 1, 2, 4]], expected)
    assert np.isnan(got[:, 3]).all()


def test_repeated_label_names_are_made_unique_with_a_warning(bold_file, atlas_file):
    names = ["a", "b", "a", "c", "a"]
    with pytest.warns(UserWarning, match=r"a -> a\.1, a -> a\.2"):
        out = extract_timeseries([str(bold_file)], str(atlas_file), labels=names)
    assert out.timeseries[0].columns == ["a", "b", "a.1", "c", "a.2"]


def test_made_unique_names_do_not_collide_with_given_names():
    from niimasker_core.rois.label_names import resolve_region_names

    with pytest.warns(UserWarning):
        _, names = resolve_region_names(["x", "x", "x.1"], [1, 2, 3], "atlas.nii.gz")
    assert names == ["x", "x.2", "x.1"]
    assert len(set(names)) == 3
