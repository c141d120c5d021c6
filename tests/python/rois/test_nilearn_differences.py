"""The command beside nilearn: what it refuses or names differently, as the README's table says.

Each case here is a row of README's "Where it differs from nilearn on purpose";
the confounds case is one nilearn takes and the command takes too.
"""

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from niimasker_core import extract_timeseries
from niimasker_core.errors import LabelsError, RoiError

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])
SHAPE = (6, 7, 8)


@pytest.fixture
def run_file(tmp_path):
    data = np.random.default_rng(0).random((*SHAPE, 20)).astype("float32")
    path = tmp_path / "sub-01_bold.nii.gz"
    nib.save(nib.Nifti1Image(data, AFFINE), path)
    return path


def _atlas(tmp_path, name, data, dtype):
    path = tmp_path / name
    nib.save(nib.Nifti1Image(np.asarray(data).astype(dtype), AFFINE), path)
    return path


def _three_regions():
    labels = np.zeros(SHAPE)
    labels[:3] = 1
    labels[3:] = 2
    labels[:, :2] = 3
    return labels


def test_lut_missing_an_id_is_an_error(tmp_path, run_file):
    atlas = _atlas(tmp_path, "atlas.nii.gz", _three_regions(), "int16")
    lut = tmp_path / "atlas.tsv"
    pd.DataFrame({"index": [1, 2], "name": ["A", "B"]}).to_csv(
        lut, sep="\t", index=False
    )
    with pytest.raises(LabelsError, match="labels 3"):
        extract_timeseries(str(run_file), str(atlas), labels=str(lut))


def test_nan_in_label_image_is_an_error(tmp_path, run_file):
    labels = _three_regions()
    labels[0, 0, 0] = np.nan
    atlas = _atlas(tmp_path, "atlas.nii.gz", labels, "float32")
    with pytest.raises(RoiError, match="NaN"):
        extract_timeseries(str(run_file), str(atlas))


def test_non_integer_label_image_is_an_error(tmp_path, run_file):
    atlas = _atlas(tmp_path, "atlas.nii.gz", _three_regions() + 0.2, "float32")
    with pytest.raises(RoiError, match="non-integer"):
        extract_timeseries(str(run_file), str(atlas))


def test_float_atlas_columns_are_named_by_integers(tmp_path, run_file):
    as_float = _atlas(tmp_path, "f.nii.gz", _three_regions(), "float32")
    as_int = _atlas(tmp_path, "i.nii.gz", _three_regions(), "int16")
    got = extract_timeseries(str(run_file), str(as_float))[0].data
    ref = extract_timeseries(str(run_file), str(as_int))[0].data
    assert list(got.columns) == ["1", "2", "3"]
    pd.testing.assert_frame_equal(got, ref)


def test_one_region_atlas_column_is_roi(tmp_path, run_file):
    one = np.zeros(SHAPE)
    one[:3] = 3
    atlas = _atlas(tmp_path, "mask.nii.gz", one, "int16")
    assert list(extract_timeseries(str(run_file), str(atlas))[0].data.columns) == [
        "roi"
    ]


def test_single_map_in_a_one_volume_4d_file_is_refused(tmp_path, run_file):
    one_map = np.random.default_rng(1).random((*SHAPE, 1))
    atlas = _atlas(tmp_path, "map.nii.gz", one_map, "float32")
    with pytest.raises(RoiError, match="non-integer"):
        extract_timeseries(str(run_file), str(atlas))


def test_4d_mask_img_is_an_error(tmp_path, run_file):
    atlas = _atlas(tmp_path, "atlas.nii.gz", _three_regions(), "int16")
    mask = _atlas(tmp_path, "mask.nii.gz", np.ones((*SHAPE, 2)), "int8")
    with pytest.raises(RoiError, match="3D mask"):
        extract_timeseries(str(run_file), str(atlas), mask_img=str(mask))


def test_confounds_with_a_pandas_index_column_are_taken(tmp_path, run_file):
    atlas = _atlas(tmp_path, "atlas.nii.gz", _three_regions(), "int16")
    x = np.random.default_rng(2).random(20)
    with_index = tmp_path / "with_index.tsv"
    plain = tmp_path / "plain.tsv"
    pd.DataFrame({"x": x}).to_csv(with_index, sep="\t")  # pandas' index column
    pd.DataFrame({"x": x}).to_csv(plain, sep="\t", index=False)
    got = extract_timeseries(
        str(run_file), str(atlas), regressor_files=str(with_index), regressors=["x"]
    )[0].data
    ref = extract_timeseries(
        str(run_file), str(atlas), regressor_files=str(plain), regressors=["x"]
    )[0].data
    pd.testing.assert_frame_equal(got, ref)
