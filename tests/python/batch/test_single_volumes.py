"""3D images (beta maps, VBM, mean images): one row each, as nilearn's maskers give."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import SHAPE
from nilearn.maskers import NiftiLabelsMasker, NiftiMapsMasker

from niimasker_core.errors import CleaningError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main


@pytest.fixture
def beta_files(tmp_path, rng, affine):
    paths = []
    for k in range(3):
        path = tmp_path / f"sub-0{k + 1}_beta.nii.gz"
        data = rng.normal(size=SHAPE).astype(np.float32)
        nib.Nifti1Image(data, affine).to_filename(path)
        paths.append(path)
    return paths


def nilearn_row(masker, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.atleast_2d(masker.fit_transform(str(path)))


def test_a_3d_image_is_one_row(beta_files, atlas_file):
    out = extract_timeseries([str(beta_files[0])], str(atlas_file))
    item = out.timeseries[0]
    assert item.data.shape == (1, 5) and item.volumes == [0]
    expected = nilearn_row(NiftiLabelsMasker(str(atlas_file)), beta_files[0])
    np.testing.assert_allclose(item.data.to_numpy(), expected, rtol=1e-6)


def test_a_list_of_3d_images_gives_one_row_per_file(
    capsys, tmp_path, beta_files, atlas_file
):
    code = main(
        [str(tmp_path / "out"), "-i", *map(str, beta_files), "-r", str(atlas_file)]
    )
    assert code == 0
    assert "warning" not in capsys.readouterr().err  # the report draws them too
    for path in beta_files:
        stem = path.name.replace(".nii.gz", "")
        table = pd.read_csv(tmp_path / "out" / f"{stem}_timeseries.tsv", sep="\t")
        expected = nilearn_row(NiftiLabelsMasker(str(atlas_file)), path)
        assert table.shape == (1, 5)
        np.testing.assert_allclose(table.to_numpy(), expected, rtol=1e-6)


def test_a_4d_image_of_one_volume_is_one_row(tmp_path, rng, affine, atlas_file):
    path = tmp_path / "one.nii.gz"
    nib.Nifti1Image(
        rng.normal(size=SHAPE + (1,)).astype(np.float32), affine
    ).to_filename(path)
    out = extract_timeseries([str(path)], str(atlas_file), smoothing_fwhm=6.0)
    expected = nilearn_row(NiftiLabelsMasker(str(atlas_file), smoothing_fwhm=6.0), path)
    np.testing.assert_allclose(out.timeseries[0].data.to_numpy(), expected, rtol=1e-5)


def test_maps_of_a_3d_image(tmp_path, rng, affine, beta_files):
    maps = np.abs(rng.normal(size=SHAPE + (3,))).astype(np.float32)
    maps_file = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps, affine).to_filename(maps_file)
    out = extract_timeseries([str(beta_files[1])], str(maps_file))
    expected = nilearn_row(NiftiMapsMasker(str(maps_file)), beta_files[1])
    np.testing.assert_allclose(
        out.timeseries[0].data.to_numpy(), expected, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"detrend": True}, "'detrend'"),
        ({"standardize": "zscore_sample"}, "'standardize'"),
        ({"high_pass": 0.01, "t_r": 2.0}, "'high_pass'"),
        ({"detrend": True, "low_pass": 0.1, "t_r": 2.0}, "'detrend', 'low_pass'"),
    ],
)
def test_cleaning_a_single_volume_is_a_clear_error(
    beta_files, atlas_file, options, named
):
    with pytest.raises(CleaningError, match="has 1 volume") as err:
        extract_timeseries([str(beta_files[0])], str(atlas_file), **options)
    assert named in str(err.value) and "regression" not in str(err.value)


def test_confounds_for_a_single_volume_are_a_clear_error(
    tmp_path, beta_files, atlas_file
):
    confounds = tmp_path / "confounds.tsv"
    confounds.write_text("a\tb\n1\t2\n")
    with pytest.raises(CleaningError, match="'regressor_files'"):
        extract_timeseries(
            [str(beta_files[0])], str(atlas_file), regressor_files=[str(confounds)]
        )
