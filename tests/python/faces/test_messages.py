"""Messages that used to mislead: each names the option, the input and the fix (issue 19)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import one_error_line

from niimasker_core.errors import OutputError, RoiError, SettingsError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.maskers import NiftiSpheresMasker
from niimasker_core.rois.spheres import sphere_members


@pytest.mark.parametrize(
    ("flag", "word", "accepted"),
    [
        ("--standardize", "yes", "expected true, false, zscore, zscore_sample, psc"),
        ("--overwrite", "maybe", "expected true or false"),
        ("--detrend", "yes", "expected true or false"),
    ],
)
@pytest.mark.parametrize("where", ["after", "before"])
def test_a_bad_word_after_a_flag_names_the_flag(
    capsys, tmp_path, bold_file, atlas_file, flag, word, accepted, where
):
    given = [flag, word]
    rest = ["-i", bold_file, "-r", atlas_file]
    out = tmp_path / "o"
    argv = [out, *rest, *given] if where == "after" else [*given, out, *rest]
    line = one_error_line(capsys, argv)
    assert f"argument {flag}: {accepted}" in line and repr(word) in line
    assert not out.exists()


def test_a_bad_number_names_the_flag(capsys, tmp_path, bold_file, atlas_file):
    argv = [tmp_path / "o", "-i", bold_file, "-r", atlas_file, "--n_jobs", "x"]
    line = one_error_line(capsys, argv)
    assert "--n_jobs" in line and "expected a whole number, got 'x'" in line


@pytest.mark.parametrize("shard", ["-1/2", "-3"])
def test_a_shard_starting_with_a_minus_names_the_form(
    capsys, tmp_path, bold_file, atlas_file, shard
):
    argv = [tmp_path / "o", "-i", bold_file, "-r", atlas_file, "--shard", shard]
    line = one_error_line(capsys, argv)
    assert line.startswith("SettingsError: --shard must be 'i/N'")
    assert shard in line


def test_an_input_name_too_long_for_its_outputs_writes_nothing(
    capsys, tmp_path, bold_file, atlas_file
):
    long_name = tmp_path / ("sub-01_task-" + "x" * 220 + "_bold.nii.gz")
    shutil.copy(bold_file, long_name)
    out = tmp_path / "out"
    line = one_error_line(capsys, [out, "-i", long_name, "-r", atlas_file])
    assert line.startswith("OutputError: The name of ") and str(long_name) in line
    assert "_timeseries.tsv" in line and "Rename the input" in line
    assert not out.exists()  # no report.html, no parameters.json
    with pytest.raises(OutputError, match="too long for its outputs"):
        extract_timeseries([str(long_name)], str(atlas_file), str(out))
    assert not out.exists()


@pytest.mark.parametrize("names", [[None] * 5, ["a", None, "c", float("nan"), "e"]])
def test_labels_that_are_none_say_so(bold_file, atlas_file, names):
    missing = sum(1 for n in names if not isinstance(n, str))
    with pytest.raises(
        SettingsError, match=f"{missing} of its 5 entries are None or NaN"
    ):
        extract_timeseries([str(bold_file)], str(atlas_file), labels=names)


def test_nan_seeds_are_named(bold_file, affine):
    seeds = [(0.0, 0.0, 0.0), (np.nan, 1.0, 2.0)]
    with pytest.raises(RoiError, match=r"Seed 1 has coordinates \[nan, 1.0, 2.0\]"):
        NiftiSpheresMasker(seeds=seeds, radius=6).fit_transform(str(bold_file))
    with pytest.raises(ValueError, match="Seed 0 .*1 more seeds too"):
        sphere_members(
            np.array([[np.inf, 0, 0], [0, np.nan, 0]]), [4, 4], (5, 6, 7), affine
        )


def test_a_bare_flag_before_the_folder_keeps_other_hints(
    capsys, tmp_path, bold_file, atlas_file
):
    argv = ["--detrend", tmp_path / "o", "-i", bold_file, "-r", atlas_file, "--detrnd"]
    line = one_error_line(capsys, argv)
    assert "unrecognized argument '--detrnd' (did you mean '--detrend'?)" in line


def test_r_face_writes_non_finite_numbers_as_r_does():
    # 'not inf' read as Python in an R message (issue 21).
    for value, word in (
        (float("inf"), "Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
    ):
        err = SettingsError("{parameter} is {value}.", parameter="t_r", value=value)
        assert err.render("r") == f"`t_r` is {word}."


def test_volume_numbers_are_1_based_in_r_and_marked_0_based_elsewhere():
    # "volume 39 (0-based)" in R, where volumes count from 1 (issue 21).
    err = SettingsError("volume {volume:volume} is cut short.", volume=39)
    assert err.render("r") == "volume 40 is cut short."
    assert err.render("python") == "volume 39 (0-based) is cut short."
    assert err.render("command") == "volume 39 (0-based) is cut short."
    many = SettingsError("volumes {v:volume}.", v=[0, 1])
    assert many.render("r") == "volumes 1, 2."


def test_a_gap_left_by_nan_policy_omit_is_worded_per_face():
    from niimasker_core.engine.group_means import omit_gap_error

    err = omit_gap_error("1", 5, "/x.nii", "voxel")
    assert "volume 5 (0-based)" in err.render("python")
    assert "nan_policy='omit'" in err.render("python")
    assert "--nan_policy zero" in err.render("command")
    r = err.render("r")
    assert "volume 6 of" in r and '`nan_policy = "omit"`' in r and "0-based" not in r
