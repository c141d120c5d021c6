"""Bad input: one clear line on stderr and exit code 2 per problem (issue 2, item 9)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import N_VOLUMES, SHAPE, make_bold, one_error_line


def test_missing_image(capsys, tmp_path, atlas_file):
    missing = tmp_path / "sub-01_bold.nii.gz"
    line = one_error_line(capsys, [tmp_path / "o", "-i", missing, "-r", atlas_file])
    assert line.startswith("ImageNotFoundError: ")
    assert "sub-01_bold.nii.gz" in line


def test_missing_roi_file(capsys, tmp_path, bold_file):
    line = one_error_line(
        capsys, [tmp_path / "o", "-i", bold_file, "-r", tmp_path / "x.nii"]
    )
    assert line.startswith("ImageNotFoundError: ") and "x.nii" in line


def test_3d_image_with_cleaning_that_needs_a_series(
    capsys, tmp_path, rng, affine, atlas_file
):
    path = tmp_path / "mean.nii.gz"
    nib.Nifti1Image(rng.normal(size=SHAPE).astype(np.float32), affine).to_filename(path)
    line = one_error_line(
        capsys, [tmp_path / "o", "-i", path, "-r", atlas_file, "--detrend"]
    )
    assert line.startswith("CleaningError: ")
    assert "1 volume" in line and "'detrend'" in line and "mean.nii.gz" in line
    assert "regression" not in line


def test_atlas_with_float_labels(capsys, tmp_path, rng, affine, bold_file):
    atlas = tmp_path / "prob.nii.gz"
    nib.Nifti1Image(rng.random(SHAPE).astype(np.float32), affine).to_filename(atlas)
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas])
    assert line.startswith("RoiError: ")
    assert "non-integer" in line and "prob.nii.gz" in line


def test_label_count_mismatch(capsys, tmp_path, bold_file, atlas_file):
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas_file,
                                   "--labels", "a", "b", "c"])  # fmt: skip
    assert line.startswith("LabelsError: ")
    assert "3" in line and "5" in line


def test_confound_rows_mismatch(capsys, tmp_path, bold_file, atlas_file):
    confounds = tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv"
    pd.DataFrame({"csf": np.arange(N_VOLUMES - 4.0)}).to_csv(
        confounds, sep="\t", index=False
    )
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas_file,
                                   "--regressor_files", confounds])  # fmt: skip
    assert line.startswith("ConfoundsError: ")
    assert str(N_VOLUMES - 4) in line and str(N_VOLUMES) in line


def test_discard_scans_at_least_the_volumes(capsys, tmp_path, bold_file, atlas_file):
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas_file,
                                   "--discard_scans", N_VOLUMES])  # fmt: skip
    assert "discard_scans" in line and str(N_VOLUMES) in line


def test_high_pass_not_below_low_pass(capsys, tmp_path, bold_file, atlas_file):
    filters = ["--t_r", 2, "--high_pass", 0.1, "--low_pass", 0.05]
    line = one_error_line(
        capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas_file, *filters]
    )
    assert line == (
        "SettingsError: --high_pass must be lower than --low_pass. "
        "Got high_pass=0.1, low_pass=0.05."
    )


def test_filter_without_t_r(capsys, tmp_path, rng, affine, atlas_file):
    img = make_bold(rng, affine)
    img.header["pixdim"][4] = 0.0  # no TR in the header either
    path = tmp_path / "sub-01_bold.nii.gz"
    img.to_filename(path)
    line = one_error_line(capsys, [tmp_path / "o", "-i", path, "-r", atlas_file,
                                   "--high_pass", 0.01])  # fmt: skip
    assert (
        line.startswith("MissingRepetitionTimeError: ") and "t_r" in line
    )  # a CleaningError


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_the_image(capsys, tmp_path, rng, affine, atlas_file, bad):
    labels = np.asanyarray(nib.load(str(atlas_file)).dataobj)
    data = make_bold(rng, affine).get_fdata(dtype=np.float32)
    i, j, k = np.argwhere(labels > 0)[0]
    data[i, j, k, 11] = bad
    path = tmp_path / "sub-01_bold.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    line = one_error_line(capsys, [tmp_path / "o", "-i", path, "-r", atlas_file])
    assert line.startswith("InputFileError: ")
    assert (
        "NaN or infinite" in line
        and "volume 11" in line
        and "sub-01_bold.nii.gz" in line
    )


def test_truncated_image(capsys, tmp_path, bold_file, atlas_file):
    bold_file.write_bytes(bold_file.read_bytes()[:-5000])
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas_file])
    assert line.startswith("InputFileError: ") and "truncated" in line
