"""Oracle tests: probabilistic 4D maps equal nilearn's NiftiMapsMasker."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiMapsMasker
from scipy import linalg

from niimasker_core.errors import RoiError
from niimasker_core.faces.api import extract_timeseries

SHAPE = (7, 8, 9)
CENTRES = [(1, 2, 2), (5, 2, 3), (3, 6, 6), (2, 5, 1), (5, 6, 7)]

CASES = [
    {},
    {"detrend": True},
    {"standardize": "zscore_sample", "detrend": True},
    {"high_pass": 0.02, "low_pass": 0.2, "t_r": 2.0},
    {"smoothing_fwhm": 5.0},
]


def blobs(shape, centres, width, cutoff, dtype=np.float32):
    """Gaussian blobs, zero below ``cutoff``: overlapping probabilistic maps."""
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    maps = [np.exp(-((grid - c) ** 2).sum(-1) / (2 * width**2)) for c in centres]
    data = np.stack(maps, axis=-1)
    data[data < cutoff] = 0
    return data.astype(dtype)


@pytest.fixture
def maps_file(tmp_path, affine):
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(blobs(SHAPE, CENTRES, 1.6, 0.05), affine).to_filename(path)
    return path


def nilearn_maps(bold, maps, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NiftiMapsMasker(str(maps), **kwargs).fit_transform(str(bold))


def ours(bold, roi, **kwargs):
    out = extract_timeseries([str(bold)], str(roi), **kwargs)
    return out.timeseries[0].data.to_numpy(), out


def close(got, expected, raw_scale=120.0):
    """nilearn's default fit is float32 lstsq: agree to float32 precision of the raw signal."""
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=3e-6 * raw_scale)


@pytest.mark.parametrize(
    "settings", CASES, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "raw"
)
def test_maps_equal_nilearn(bold_file, maps_file, settings):
    got, out = ours(bold_file, maps_file, **settings)
    assert out.timeseries[0].columns == ["1", "2", "3", "4", "5"]
    close(got, nilearn_maps(bold_file, maps_file, **settings))


def test_raw_fit_equals_float64_lstsq(bold_file, maps_file):
    """nilearn's lstsq, in float64: our fit is exact up to the float32 output."""
    data = np.asanyarray(nib.load(bold_file).dataobj).reshape(-1, 40).astype(np.float64)
    maps = np.asanyarray(nib.load(maps_file).dataobj).reshape(-1, 5).astype(np.float64)
    exact = linalg.lstsq(maps, data)[0].T
    got, _ = ours(bold_file, maps_file)
    np.testing.assert_allclose(got, exact, rtol=2e-7, atol=0)


def test_maps_on_another_grid_are_resampled_to_the_data(tmp_path, bold_file):
    affine = np.diag([2.5, 2.5, 2.5, 1.0])
    affine[:3, 3] = [-11.0, -15.0, -19.0]
    shape = (10, 12, 15)
    path = tmp_path / "maps_2p5.nii.gz"
    centres = [(3, 3, 4), (7, 4, 6), (4, 9, 10), (6, 8, 3)]
    nib.Nifti1Image(blobs(shape, centres, 2.0, 0.05), affine).to_filename(path)
    close(ours(bold_file, path)[0], nilearn_maps(bold_file, path))


def test_mask_keeps_emptied_maps_as_nan_columns(tmp_path, bold_file, maps_file, affine):
    mask = np.ones(SHAPE, np.uint8)
    mask[2:, :6, :] = 0  # removes all of map 2 (centre 5,2,3) and parts of others
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = np.asanyarray(nib.load(maps_file).dataobj)
        assert not (data[..., 1] * mask).any()
    expected = nilearn_maps(
        bold_file, maps_file, mask_img=str(mask_file)
    )  # drops map 2
    got, out = ours(bold_file, maps_file, mask_img=str(mask_file))
    assert got.shape[1] == 5 and np.isnan(got[:, 1]).all()
    close(np.delete(got, 1, axis=1), expected)
    assert out.timeseries[0].sidecar["EmptyRegions"] == ["2"]


def test_overlap_error_names_pairs_unless_allowed(
    tmp_path, bold_file, maps_file, affine
):
    with pytest.raises(RoiError, match=r"overlap.*1 & 4"):
        extract_timeseries([str(bold_file)], str(maps_file), allow_overlap=False)
    separate = tmp_path / "separate.nii.gz"
    nib.Nifti1Image(blobs(SHAPE, CENTRES[:3], 1.0, 0.2), affine).to_filename(separate)
    expected = nilearn_maps(bold_file, separate, allow_overlap=False)
    close(ours(bold_file, separate, allow_overlap=False)[0], expected)


def test_labels_name_maps_and_coverage_is_written(tmp_path, bold_file, maps_file):
    names = ["vis", "mot", "dmn", "sal", "fpn"]
    out_dir = tmp_path / "out"
    _, out = ours(bold_file, maps_file, labels=names, output_dir=str(out_dir))
    assert out.timeseries[0].columns == names
    coverage = pd.read_csv(next(out_dir.glob("*_coverage.tsv")), sep="\t")
    data = np.asanyarray(nib.load(maps_file).dataobj)
    assert coverage["region"].tolist() == names
    assert coverage["voxels_used"].tolist() == [
        int((data[..., i] != 0).sum()) for i in range(5)
    ]


def test_rank_deficient_maps_give_the_minimum_norm_solution(
    tmp_path, bold_file, affine
):
    data = blobs(SHAPE, CENTRES[:3], 1.6, 0.05)
    data = np.concatenate([data, data[..., :1]], axis=-1)  # map 4 repeats map 1
    path = tmp_path / "twins.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    got, _ = ours(bold_file, path)
    np.testing.assert_allclose(got[:, 0], got[:, 3], rtol=1e-5)  # shared equally
    close(got, nilearn_maps(bold_file, path))


@pytest.mark.parametrize("option", [{"as_voxels": True}, {"strategy": "median"}])
def test_voxel_and_strategy_options_are_refused_for_maps(bold_file, maps_file, option):
    with pytest.raises(RoiError, match="4D probabilistic atlas"):
        extract_timeseries([str(bold_file)], str(maps_file), **option)


def test_nan_in_maps_count_as_zero_like_nilearn(tmp_path, bold_file, affine):
    data = blobs(SHAPE, CENTRES, 1.6, 0.05)
    data[0, 7, 8, 0] = np.nan
    data[3, 6, 6, 2] = np.nan  # the centre of map 3
    path = tmp_path / "nan_maps.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    close(ours(bold_file, path)[0], nilearn_maps(bold_file, path))
