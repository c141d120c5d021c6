"""nan_policy: stop (default), count non-finite voxels as 0 (nilearn), or leave them out."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import SHAPE, make_bold
from nilearn.maskers import NiftiLabelsMasker, NiftiSpheresMasker

from niimasker_core.errors import InputFileError, SettingsError
from niimasker_core.faces.api import extract_timeseries


@pytest.fixture
def nan_bold(tmp_path, rng, affine):
    img = make_bold(rng, affine)
    data = np.asanyarray(img.dataobj).copy()
    data[0, 0, 0, 3] = np.nan
    data[1, 2, 3, :] = np.nan  # one voxel NaN in every volume
    data[4, 5, 6, 7] = np.inf
    data[2, 2, 2, 10:12] = -np.inf
    path = tmp_path / "nan_bold.nii.gz"
    nib.Nifti1Image(data, affine, img.header).to_filename(path)
    return path, data


def run(bold, roi, **kwargs):
    out = extract_timeseries([str(bold)], str(roi), **kwargs)
    return out.timeseries[0].data.to_numpy(), out


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def test_error_is_the_default(nan_bold, atlas_file):
    with pytest.raises(InputFileError, match="NaN or infinite .*volume 0"):
        run(nan_bold[0], atlas_file)


def test_zero_equals_nilearn(nan_bold, atlas_file):
    got, _ = run(nan_bold[0], atlas_file, nan_policy="zero")
    expected = quiet(NiftiLabelsMasker(str(atlas_file)).fit_transform, str(nan_bold[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_zero_with_smoothing_equals_nilearn(nan_bold, atlas_file):
    got, _ = run(nan_bold[0], atlas_file, nan_policy="zero", smoothing_fwhm=6.0)
    masker = NiftiLabelsMasker(str(atlas_file), smoothing_fwhm=6.0)
    expected = quiet(masker.fit_transform, str(nan_bold[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_zero_equals_nilearn_for_spheres(tmp_path, nan_bold, affine):
    seeds = [
        (-7.0, -7.0, -6.0),
        (2.0, 3.5, 6.0),
    ]  # voxels (1, 2, 3), (4, 5, 6): NaN, inf
    coords = tmp_path / "seeds.tsv"
    pd.DataFrame(seeds, columns=["x", "y", "z"]).to_csv(coords, sep="\t", index=False)
    got, _ = run(nan_bold[0], coords, radius=4.0, nan_policy="zero")
    masker = NiftiSpheresMasker(seeds, radius=4.0)
    expected = quiet(masker.fit_transform, str(nan_bold[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("strategy", ["mean", "median", "sum", "maximum", "variance"])
def test_omit_uses_the_finite_voxels_of_each_volume(
    tmp_path, nan_bold, atlas_file, strategy
):
    path, data = nan_bold
    got, out = run(
        path,
        atlas_file,
        nan_policy="omit",
        strategy=strategy,
        output_dir=tmp_path / "o",
    )
    atlas = np.asanyarray(nib.load(atlas_file).dataobj)
    function = {
        "mean": np.mean,
        "median": np.median,
        "sum": np.sum,
        "maximum": np.max,
        "variance": np.var,
    }[strategy]
    expected = np.empty_like(got)
    finite_min = []
    for column, label in enumerate(range(1, 6)):
        voxels = data[atlas == label].astype(np.float64)  # (n_voxels, n_volumes)
        finite = np.isfinite(voxels)
        finite_min.append(int(finite.sum(axis=0).min()))
        for t in range(voxels.shape[1]):
            expected[t, column] = function(voxels[finite[:, t], t])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    coverage = pd.read_csv(
        tmp_path / "o" / f"{out.timeseries[0].stem}_coverage.tsv", sep="\t"
    )
    assert coverage["finite_voxels_min"].tolist() == finite_min
    assert (coverage["finite_voxels_min"] < coverage["voxels_used"]).any()


def test_omit_without_non_finite_voxels_is_the_plain_result(bold_file, atlas_file):
    plain, _ = run(bold_file, atlas_file)
    omitted, _ = run(bold_file, atlas_file, nan_policy="omit")
    np.testing.assert_array_equal(plain, omitted)


def test_omit_refuses_a_gap_in_a_region(tmp_path, rng, affine):
    img = make_bold(rng, affine)
    data = np.asanyarray(img.dataobj).copy()
    labels = np.zeros(SHAPE, np.int16)
    labels[0, 0, 0], labels[3:] = 1, 2
    data[0, 0, 0, 5] = np.nan  # region 1's only voxel, in volume 5
    bold, atlas = tmp_path / "bold.nii.gz", tmp_path / "atlas.nii.gz"
    nib.Nifti1Image(data, affine, img.header).to_filename(bold)
    nib.Nifti1Image(labels, affine).to_filename(atlas)
    with pytest.raises(
        InputFileError, match="Region '1' has no finite voxel in volume 5"
    ):
        run(bold, atlas, nan_policy="omit")


def test_omit_does_not_apply_to_maps(tmp_path, nan_bold, affine):
    maps = np.zeros(SHAPE + (2,), np.float32)
    maps[:3, ..., 0], maps[3:, ..., 1] = 1.0, 1.0
    maps_file = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps, affine).to_filename(maps_file)
    with pytest.raises(InputFileError, match="nan_policy='zero'"):
        run(nan_bold[0], maps_file, nan_policy="omit")


def test_nan_policy_is_checked():
    with pytest.raises(SettingsError, match="'nan_policy' must be one of"):
        extract_timeseries(["x.nii.gz"], "atlas.nii.gz", nan_policy="drop")
