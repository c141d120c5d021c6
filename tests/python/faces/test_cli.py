"""The ``niimasker`` command, in-process: flags, config, outputs and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import N_VOLUMES, make_bold

from niimasker_core import __version__
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main
from niimasker_core.params.declarations import PARAMETERS


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def table(out: Path, stem: str = "sub-01_task-rest_bold") -> pd.DataFrame:
    return pd.read_csv(out / f"{stem}_timeseries.tsv", sep="\t", na_values="n/a")


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"niimasker {__version__}"


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["-h"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for param in PARAMETERS:
        assert f"--{param.name}" in text, param.name
    for flag in ("-i", "-r", "-m", "-c", "--config", "--regressor_names", "--version"):
        assert flag in text


def test_bad_flag_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path), "--t_r", "two"])
    assert exit_info.value.code == 2
    assert "--t_r" in capsys.readouterr().err


def test_writes_outputs_atomically(capsys, tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    code, err = run(capsys, out, "-i", bold_file, "-r", atlas_file, "--detrend")
    assert code == 0, err
    files = all_files(out)
    assert "sub-01_task-rest_bold_timeseries.tsv" in files
    assert "niimasker_data/parameters.json" in files
    assert not [f for f in files if ".tmp" in f or Path(f).name.startswith(".")]
    got = table(out)
    assert got.shape == (N_VOLUMES, 5)
    assert list(got.columns) == ["1", "2", "3", "4", "5"]  # numeric ids without labels
    expected = extract_timeseries([str(bold_file)], str(atlas_file), detrend=True)
    np.testing.assert_allclose(
        got.to_numpy(),
        expected.timeseries[0].data.to_numpy(),
        rtol=1e-7,
        atol=1e-9,
    )
    parameters = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert parameters["parameters"]["detrend"] is True
    assert parameters["command"].startswith("niimasker ")


def test_standardize_alone_means_population_zscore(
    capsys, tmp_path, bold_file, atlas_file
):
    out = tmp_path / "out"
    code, err = run(capsys, out, "-i", bold_file, "-r", atlas_file, "--standardize")
    assert code == 0, err
    values = table(out).to_numpy()
    np.testing.assert_allclose(values.mean(axis=0), 0, atol=1e-4)  # float32 signals
    np.testing.assert_allclose(values.std(axis=0, ddof=0), 1, rtol=1e-4)
    assert np.abs(values.std(axis=0, ddof=1) - 1).min() > 1e-3  # not the sample std
    params = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert params["parameters"]["standardize"] in (True, "zscore")


def test_standardize_takes_a_method(capsys, tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    code, err = run(
        capsys, out, "-i", bold_file, "-r", atlas_file, "--standardize", "psc"
    )
    assert code == 0, err
    expected = extract_timeseries([str(bold_file)], str(atlas_file), standardize="psc")
    np.testing.assert_allclose(
        table(out).to_numpy(), expected.timeseries[0].data.to_numpy(), rtol=1e-7
    )


def test_config_overrides_flags_with_a_warning(capsys, tmp_path, bold_file, atlas_file):
    config_dir = tmp_path / "MixedCase"
    config_dir.mkdir()
    config = config_dir / "Config.JSON"  # the path's case is kept
    config.write_text(json.dumps({"t_r": 2.5, "high_pass": 0.01}))
    out = tmp_path / "out"
    code, err = run(
        capsys, out, "-i", bold_file, "-r", atlas_file, "--t_r", "2", "-c", config
    )
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "config file overrides" in line]
    assert (
        len(warnings) == 1 and "t_r" in warnings[0] and "high_pass" not in warnings[0]
    )
    params = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert params["parameters"]["t_r"] == 2.5
    assert params["parameters"]["high_pass"] == 0.01


def test_regressor_names_is_a_deprecated_alias(
    capsys, tmp_path, bold_file, atlas_file, confounds_file
):
    common = ["-i", bold_file, "-r", atlas_file, "--regressor_files", confounds_file]
    code, err = run(
        capsys, tmp_path / "old", *common, "--regressor_names", "csf", "trans_x"
    )
    assert code == 0, err
    assert "deprecated" in err and "--regressors" in err
    code, err = run(capsys, tmp_path / "new", *common, "--regressors", "csf", "trans_x")
    assert code == 0, err
    pd.testing.assert_frame_equal(table(tmp_path / "old"), table(tmp_path / "new"))


def test_wildcard_is_naturally_sorted(capsys, tmp_path, rng, affine, atlas_file):
    data = tmp_path / "data"
    data.mkdir()
    for sub in ("10", "2", "1"):
        make_bold(rng, affine, n_volumes=6).to_filename(data / f"sub-{sub}_bold.nii.gz")
    out = tmp_path / "out"
    code, err = run(
        capsys, out, "-i", str(data / "sub-*_bold.nii.gz"), "-r", atlas_file
    )
    assert code == 0, err
    params = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    names = [Path(r["image"]).name for r in params["runs"]]
    assert names == ["sub-1_bold.nii.gz", "sub-2_bold.nii.gz", "sub-10_bold.nii.gz"]


def test_two_jobs_equal_one(capsys, tmp_path, rng, affine, atlas_file):
    data = tmp_path / "data"
    data.mkdir()
    for sub in ("01", "02", "03"):
        make_bold(rng, affine, n_volumes=8).to_filename(data / f"sub-{sub}_bold.nii.gz")
    pattern = str(data / "sub-*_bold.nii.gz")
    for jobs in ("1", "2"):
        code, err = run(capsys, tmp_path / f"j{jobs}", "-i", pattern, "-r", atlas_file,
                        "--detrend", "--n_jobs", jobs)  # fmt: skip
        assert code == 0, err
    for sub in ("01", "02", "03"):
        stem = f"sub-{sub}_bold"
        pd.testing.assert_frame_equal(
            table(tmp_path / "j1", stem), table(tmp_path / "j2", stem)
        )


def test_a_failing_image_does_not_stop_the_others(
    capsys, tmp_path, rng, affine, atlas_file
):
    data = tmp_path / "data"
    data.mkdir()
    make_bold(rng, affine, n_volumes=6).to_filename(data / "sub-01_bold.nii.gz")
    broken = data / "sub-02_bold.nii.gz"
    make_bold(rng, affine, n_volumes=6).to_filename(broken)
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])  # truncated
    make_bold(rng, affine, n_volumes=6).to_filename(data / "sub-03_bold.nii.gz")
    out = tmp_path / "out"
    code, err = run(
        capsys, out, "-i", str(data / "sub-*_bold.nii.gz"), "-r", atlas_file
    )
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("InputFileError")]
    assert len(problems) == 1 and "sub-02_bold.nii.gz" in problems[0]
    files = all_files(out)
    assert (
        "sub-01_bold_timeseries.tsv" in files and "sub-03_bold_timeseries.tsv" in files
    )
    assert not [f for f in files if f.startswith("sub-02")]
    assert not [f for f in files if ".tmp" in f]


def test_bad_input_exits_2_with_one_line(capsys, tmp_path, bold_file):
    code, err = run(
        capsys, tmp_path / "out", "-i", bold_file, "-r", tmp_path / "none.nii.gz"
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ImageNotFoundError: ") and "none.nii.gz" in lines[0]


def test_uncompressed_and_int16_inputs(capsys, tmp_path, rng, affine, atlas_file):
    img = make_bold(rng, affine, n_volumes=7)
    img.to_filename(tmp_path / "sub-01_bold.nii")
    scaled = nib.Nifti1Image(img.get_fdata(), affine)
    scaled.header.set_data_dtype(np.int16)  # nibabel picks scl_slope/scl_inter
    scaled.to_filename(tmp_path / "sub-02_bold.nii.gz")
    out = tmp_path / "out"
    inputs = [tmp_path / "sub-01_bold.nii", tmp_path / "sub-02_bold.nii.gz"]
    code, err = run(capsys, out, "-i", *inputs, "-r", atlas_file)
    assert code == 0, err
    one, two = (
        table(out, "sub-01_bold").to_numpy(),
        table(out, "sub-02_bold").to_numpy(),
    )
    np.testing.assert_allclose(one, two, rtol=1e-3)  # int16 quantisation only
    shutil.rmtree(out)
