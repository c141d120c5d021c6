"""TR lookup (parameter, BIDS sidecar, header with units), file expansion and --dry_run."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from fmriprep_tree import write_bold

from niimasker_core.batch.plan import expand_files, resolve_t_r
from niimasker_core.domains.volume.nifti import read_header_t_r
from niimasker_core.errors import ImageNotFoundError, InputFileError
from niimasker_core.faces.cli import main


def test_sidecar_first_then_header(tmp_path, rng):
    with_sidecar = write_bold(
        tmp_path / "sub-01_task-a_bold.nii.gz", rng, 5, t_r=3.0, sidecar_t_r=1.5
    )
    assert resolve_t_r(str(with_sidecar), None) == (1.5, "sidecar")
    header_only = write_bold(tmp_path / "sub-02_task-a_bold.nii.gz", rng, 5, t_r=3.0)
    assert resolve_t_r(str(header_only), None) == (3.0, "header")


def test_header_units_are_honoured(tmp_path, rng):
    path = tmp_path / "ms.nii.gz"
    img = nib.Nifti1Image(rng.normal(size=(2, 2, 2, 4)).astype(np.float32), np.eye(4))
    img.header.set_xyzt_units("mm", "msec")
    img.header["pixdim"][4] = 720.0
    img.to_filename(path)
    assert read_header_t_r(str(path)) == pytest.approx(0.72)
    img.header.set_xyzt_units("mm", "unknown")
    img.to_filename(path)
    assert read_header_t_r(str(path)) is None


def test_given_t_r_wins_and_disagreement_warns(tmp_path, rng):
    path = write_bold(
        tmp_path / "sub-01_task-a_bold.nii.gz", rng, 5, t_r=2.0, sidecar_t_r=2.0
    )
    with pytest.warns(
        UserWarning,
        match=r"'t_r' is 1\.5 s but .* the JSON sidecar says 2 s and the NIfTI header says 2 s",
    ):
        assert resolve_t_r(str(path), 1.5) == (1.5, "parameter")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_t_r(str(path), 2.0) == (2.0, "parameter")


def test_bad_sidecar_is_an_error(tmp_path, rng):
    path = write_bold(tmp_path / "sub-01_task-a_bold.nii.gz", rng, 5)
    (tmp_path / "sub-01_task-a_bold.json").write_text(
        json.dumps({"RepetitionTime": "2"})
    )
    with pytest.raises(InputFileError, match="RepetitionTime='2'"):
        resolve_t_r(str(path), None)


def test_expand_files_natural_order_and_errors(tmp_path):
    for i in (10, 2, 1):
        (tmp_path / f"run-{i}.nii.gz").write_bytes(b"")
    found = expand_files([str(tmp_path / "run-*.nii.gz")], "input_files")
    assert [p.rsplit("/", 1)[1] for p in found] == [
        "run-1.nii.gz",
        "run-2.nii.gz",
        "run-10.nii.gz",
    ]
    with pytest.raises(ImageNotFoundError, match="matches no file"):
        expand_files([str(tmp_path / "nothing*.nii.gz")], "input_files")


def test_dry_run_prints_the_plan_without_reading_images(tmp_path, capsys):
    func = tmp_path / "sub-01" / "func"
    func.mkdir(parents=True)
    for run in (2, 1):
        # not images at all: a dry run must not read them
        (
            func / f"sub-01_task-rest_run-{run}_space-MNI_desc-preproc_bold.nii.gz"
        ).write_text("junk")
        (
            func / f"sub-01_task-rest_run-{run}_space-MNI_desc-preproc_bold.json"
        ).write_text(json.dumps({"RepetitionTime": 0.8}))
        (func / f"sub-01_task-rest_run-{run}_desc-confounds_regressors.tsv").write_text(
            "a\n1\n"
        )
    code = main(
        [
            str(tmp_path / "out"),
            "--dry_run",
            "-i",
            str(func / "*preproc_bold.nii.gz"),
            "--regressor_files",
            str(func / "*confounds_regressors.tsv"),
            "--regressors",
            "Params6",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split("\t") == [
        "image",
        "confounds",
        "paired_by",
        "t_r",
        "t_r_source",
        "output",
    ]
    rows = [line.split("\t") for line in lines[1:]]
    assert [
        r[0].endswith("run-1_space-MNI_desc-preproc_bold.nii.gz") for r in rows
    ] == [True, False]
    assert all(
        r[1].endswith(
            r[0].split("_space")[0].rsplit("/", 1)[1] + "_desc-confounds_regressors.tsv"
        )
        for r in rows
    )
    assert all(r[2:5] == ["bids", "0.8", "sidecar"] for r in rows)
    assert rows[0][5].endswith(
        "out/sub-01_task-rest_run-1_space-MNI_desc-preproc_bold_timeseries.tsv"
    )
    assert not (tmp_path / "out").exists()
