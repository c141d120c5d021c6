"""The module R calls, and the parts errors and warnings carry for each face."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import warnings
from pathlib import Path

import pytest
from conftest import make_bold

import niimasker_core
from niimasker_core.errors import (
    ConfigOverrideWarning,
    NiimaskerWarning,
    RepetitionTimeWarning,
    SettingsError,
)
from niimasker_core.faces import r_bridge
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.params.settings import make_settings


def test_a_settings_error_is_worded_per_face():
    with pytest.raises(SettingsError) as info:
        make_settings(t_r=-2.0)
    exc = info.value
    assert str(exc) == "'t_r' must be a positive number. Got t_r=-2.0."
    assert exc.render("command").startswith("--t_r must be a positive number.")
    assert exc.render("r") == "`t_r` must be a positive number, not -2."
    assert (exc.parameter, exc.value) == ("t_r", -2.0)
    with pytest.raises(SettingsError) as info:
        make_settings(detrend="yes")
    assert info.value.render("r") == '`detrend` must be TRUE or FALSE, not "yes".'


def test_parts_survive_pickling():
    exc = SettingsError(
        "{parameter} is {value}.", parameter="t_r", value=2.0, fix="Fix."
    )
    again = pickle.loads(pickle.dumps(exc))
    assert again.render("r") == exc.render("r") == "`t_r` is 2. Fix."


def test_warnings_are_classes_python_users_can_filter(bold_file, atlas_file):
    with pytest.warns(RepetitionTimeWarning, match="'t_r' is 1.5 s"):
        extract_timeseries(str(bold_file), str(atlas_file), t_r=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", NiimaskerWarning)
        extract_timeseries(str(bold_file), str(atlas_file), t_r=1.5)


def test_bridge_returns_warnings_and_errors_worded_for_r(bold_file, atlas_file):
    out = r_bridge.extract_timeseries(
        {
            "input_files": [str(bold_file)],
            "roi_file": str(atlas_file),
            "t_r": 1.5,
            "config": {"t_r": 2.0},
        }
    )
    assert out["error"] is None and len(out["result"]["timeseries"]) == 1
    assert out["result"]["timeseries"][0]["entities"] == {"sub": "01", "task": "rest"}
    (warning,) = out["warnings"]
    assert warning["type"] == ConfigOverrideWarning.__name__
    assert warning["classes"] == ["ConfigOverrideWarning", "NiimaskerWarning"]
    assert (
        warning["problem"] == "The config file overrides: `t_r` (given 1.5, config 2)."
    )
    out = r_bridge.extract_timeseries({"input_files": [str(bold_file)], "t_r": -1.0})
    assert out["result"] is None
    assert out["error"]["classes"] == ["SettingsError", "NiimaskerError"]
    assert out["error"]["problem"] == "`t_r` must be a positive number, not -1."
    assert out["error"]["parameter"] == "t_r"


def test_voxels_to_nifti_names_file_when_it_has_no_nifti_extension(tmp_path):
    # It used to fail in nibabel, naming an internal temporary file (issue 21).
    out = r_bridge.voxels_to_nifti(
        values=bytearray(b"\0" * 8),
        shape=[1],
        mask_values=bytearray(b"\1"),
        mask_shape=[1, 1, 1],
        affine=[[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]],
        file=str(tmp_path / "rmap"),
    )
    assert out["error"]["classes"] == ["SettingsError", "NiimaskerError"]
    assert out["error"]["parameter"] == "file"
    problem = out["error"]["problem"]
    assert problem.startswith("`file` is ") and "rmap" in problem
    assert "niimasker-tmp" not in problem
    assert ".nii.gz" in out["error"]["fix"]
    assert list(tmp_path.iterdir()) == []


def test_atlas_query_errors_name_query():
    out = r_bridge.nilearn_atlas("nilearn:nope")
    assert out["error"]["parameter"] == "query"
    assert out["error"]["problem"].startswith('`query` "nilearn:nope" names an unknown')


def test_parallel_workers_import_the_core_and_return_their_warnings(
    tmp_path, rng, affine, monkeypatch
):
    monkeypatch.setattr(sys, "path", list(sys.path))
    for sub in ("01", "02"):
        make_bold(rng, affine, n_volumes=8).to_filename(
            tmp_path / f"sub-{sub}_bold.nii.gz"
        )
    seeds = tmp_path / "seeds.tsv"
    seeds.write_text("x\ty\tz\n0\t0\t0\n500\t500\t500\n")
    out = r_bridge.extract_timeseries(
        {
            "input_files": str(tmp_path / "sub-*_bold.nii.gz"),
            "roi_file": str(seeds),
            "n_jobs": 2,
        }
    )
    assert out["error"] is None and len(out["result"]["timeseries"]) == 2
    kinds = [w["type"] for w in out["warnings"]]
    assert kinds.count("EmptyRegionWarning") == 2
    core_parent = str(Path(os.path.realpath(niimasker_core.__file__)).parents[1])
    assert sys.path[0] == core_parent


def test_read_timeseries_reads_what_a_run_wrote(bold_file, atlas_file, tmp_path):
    out_dir = tmp_path / "out"
    first = r_bridge.extract_timeseries(
        {
            "input_files": [str(bold_file)],
            "roi_file": str(atlas_file),
            "output_dir": str(out_dir),
            "discard_scans": 2,
            "report": False,
        }
    )["result"]
    again = r_bridge.read_timeseries(str(out_dir))
    assert again["error"] is None
    (item,) = again["result"]["timeseries"]
    (orig,) = first["timeseries"]
    for key in ("file", "stem", "columns", "shape", "volumes", "entities"):
        assert item[key] == orig[key], key
    missing = r_bridge.read_timeseries(str(tmp_path / "nothing"))
    assert missing["error"]["type"] == "ImageNotFoundError"


def test_r_roi_file_null_means_from_the_config(bold_file, atlas_file, tmp_path):
    # R's help: roi_file = NULL is "taken from config"; without one, never voxels
    out = r_bridge.extract_timeseries({"input_files": [str(bold_file)]}, regions=True)
    assert out["error"]["type"] == "SettingsError"
    assert "extract_voxels()" in out["error"]["message"]
    assert "`roi_file` is NULL" in out["error"]["message"]
    config = {"roi_file": str(atlas_file)}
    given = {"input_files": [str(bold_file)], "config": config}
    out = r_bridge.extract_timeseries(given, regions=True)
    assert out["error"] is None and out["result"]["timeseries"]
    voxels = r_bridge.extract_timeseries({"input_files": [str(bold_file)]})
    assert voxels["error"] is None  # extract_voxels(): every voxel of a mask


def test_say_gets_one_line_per_image_only_with_verbose(bold_file, atlas_file):
    lines: list[str] = []
    kwargs = {"input_files": [str(bold_file)], "roi_file": str(atlas_file), "t_r": 2.0}
    out = r_bridge.extract_timeseries(kwargs, say=lines.append)
    assert out["error"] is None and lines == []
    out = r_bridge.extract_timeseries({**kwargs, "verbose": True}, say=lines.append)
    assert out["error"] is None
    assert len(lines) == 1 and lines[0].startswith(f"done: {bold_file} (")
    out = r_bridge.extract_timeseries(
        {**kwargs, "config": {"verbose": True}}, say=lines.append
    )
    assert len(lines) == 2


def test_failures_are_worded_for_r(tmp_path):
    # The failed-files warning read Python's quoting ('discard_scans') in R (issue 21).
    extdata = Path(__file__).resolve().parents[3] / "inst" / "extdata"
    for sub in ("01", "02"):
        func = extdata / "fmriprep" / f"sub-{sub}" / "func"
        shutil.copy(
            func / f"sub-{sub}_task-rest_space-MNI305_desc-preproc_bold.nii.gz",
            tmp_path,
        )
        rows = (func / f"sub-{sub}_task-rest_desc-confounds_timeseries.tsv").read_text()
        rows = rows.splitlines()[: None if sub == "01" else 20]
        (tmp_path / f"sub-{sub}_task-rest_desc-confounds_timeseries.tsv").write_text(
            "\n".join(rows) + "\n"
        )
    out = r_bridge.extract_timeseries(
        {
            "input_files": [str(tmp_path / "*_bold.nii.gz")],
            "roi_file": str(extdata / "atlas-synthetic12_dseg.nii.gz"),
            "regressor_files": [str(tmp_path / "*_timeseries.tsv")],
            "regressors": ["trans_x"],
            "t_r": 2.0,
        }
    )
    (failure,) = out["result"]["failures"]
    assert failure["error_type"] == "ConfoundsError"
    assert "`discard_scans`" in failure["message"]
    assert "'discard_scans'" not in failure["message"]


def test_plain_messages_reach_r_in_r_idiom():
    """Python's wording in plain messages becomes R's (issue 21, item 6)."""
    from niimasker_core.faces.r_bridge import r_idiom

    text = (
        "'high_pass' needs 't_r' for '/data/t_r.nii.gz': give 't_r', e.g. --t_r 2. "
        "Use ica_aroma='basic', detrend=True, the ['trans_x', 'csf'] columns, --allow_overlap; "
        "values inf, -inf and nan are not allowed (nan_policy, info)."
    )
    assert r_idiom(text) == (
        "`high_pass` needs `t_r` for '/data/t_r.nii.gz': give `t_r`, e.g. `t_r = 2`. "
        'Use `ica_aroma = "basic"`, `detrend = TRUE`, the c("trans_x", "csf") columns, '
        "`allow_overlap`; values Inf, -Inf and NaN are not allowed (nan_policy, info)."
    )
    assert r_idiom(None) is None


def test_expected_values_are_worded_with_r_literals():
    from niimasker_core.errors import SettingsError
    from niimasker_core.params.settings import make_settings

    with pytest.raises(SettingsError) as caught:
        make_settings({"input_files": ["a.nii.gz"], "n_compcor": "x"})
    assert (
        caught.value.render("r")
        == '`n_compcor` must be "all" or a whole number >= 1, not "x".'
    )
    assert "'all'" in caught.value.render("python")
