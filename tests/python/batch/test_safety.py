"""Files that are not niimasker's: never overwritten, written through, or deleted.

Each case here overwrote, wrote through or deleted another program's file
before these rules (issue 19); each must now end in one clear error, before
any image is read, or leave the file alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import make_bold

from niimasker_core import errors
from niimasker_core.faces.cli import main
from niimasker_core.io.folder import check_output_dir


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def mask_file(tmp_path, affine):
    data = np.zeros((7, 8, 9), np.uint8)
    data[2:5, 2:6, 2:7] = 1
    path = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    return path


def test_an_output_that_is_an_input_is_refused_before_reading(
    tmp_path, rng, affine, mask_file, capsys
):
    out = tmp_path / "out7"
    out.mkdir()
    first, second = out / "x.nii.gz", out / "x_timeseries.nii.gz"
    make_bold(rng, affine).to_filename(first)
    make_bold(rng, affine).to_filename(second)  # x.nii.gz's voxel output's name
    before = digest(second)
    code = main([str(out), "-i", str(first), str(second), "-m", str(mask_file)])
    err = capsys.readouterr().err
    assert code == 2 and "OutputError" in err
    assert str(second) in err and "also its input" in err
    assert digest(second) == before
    assert not (out / "niimasker_data").exists()  # stopped before writing anything


def test_a_hard_link_of_an_input_is_the_same_file(
    tmp_path, bold_file, atlas_file, capsys
):
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(bold_file).name.removesuffix(".nii.gz")
    os.link(bold_file, out / f"{stem}_timeseries.tsv")  # another name, one file
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    assert code == 2 and "also its input" in capsys.readouterr().err
    assert nib.load(bold_file).shape[3] > 1  # the image is intact


def test_a_linked_data_folder_is_refused(tmp_path, bold_file, atlas_file, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "parameters.json").write_text("someone else's")
    out = tmp_path / "out"
    out.mkdir()
    (out / "niimasker_data").symlink_to(elsewhere)
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    err = capsys.readouterr().err
    assert code == 2 and "symbolic link" in err and "niimasker_data" in err
    assert (elsewhere / "parameters.json").read_text() == "someone else's"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["parameters.json"]


def test_a_linked_output_file_is_refused(tmp_path, bold_file, atlas_file, capsys):
    target = tmp_path / "precious.tsv"
    target.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(bold_file).name.removesuffix(".nii.gz")
    (out / f"{stem}_timeseries.tsv").symlink_to(target)
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    assert code == 2 and "symbolic link" in capsys.readouterr().err
    assert target.read_text() == "keep me\n"


def test_other_programs_files_are_neither_deleted_nor_replaced(
    tmp_path, bold_file, atlas_file, capsys
):
    out = tmp_path / "project"
    (out / "niimasker_data").mkdir(parents=True)
    temporary = out / (".data." + "0f" * 16 + ".tmp.csv")  # an old niimasker pattern
    lock = out / "niimasker_data" / ".lock"  # not niimasker's lock
    report = out / "report.html"
    for path in (temporary, lock, report):
        path.write_text("theirs")
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    err = capsys.readouterr().err
    assert code == 2 and "report.html" in err and "--overwrite" in err
    assert all(p.read_text() == "theirs" for p in (temporary, lock, report))
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file), "--overwrite"])
    assert code == 0
    assert report.read_text() != "theirs"  # replaced, as asked
    assert temporary.read_text() == "theirs" and lock.read_text() == "theirs"


def test_a_table_no_run_recorded_is_refused_unless_overwrite(
    tmp_path, bold_file, atlas_file, capsys
):
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(bold_file).name.removesuffix(".nii.gz")
    theirs = out / f"{stem}_timeseries.tsv"
    theirs.write_text("a\tb\n1\t2\n")
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    err = capsys.readouterr().err
    assert code == 2 and theirs.name in err and "no niimasker run recorded" in err
    assert theirs.read_text() == "a\tb\n1\t2\n"


def test_outputs_of_earlier_runs_are_niimaskers_own(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    args = [str(out), "-i", str(bold_file), "-r", str(atlas_file)]
    assert main(args) == 0
    record_file = out / "niimasker_data" / "parameters.json"
    record = json.loads(record_file.read_text())
    assert set(record["runs"][0]["files"]) >= {
        p.name for p in out.iterdir() if p.is_file() and p.suffix in (".tsv", ".json")
    }
    assert main([*args, "--detrend"]) == 0  # redone: its own outputs replaced
    # a record from before files were listed (an older niimasker) still counts
    for run in record["runs"]:
        del run["files"]
    record_file.write_text(json.dumps(record))
    assert main([*args, "--t_r", "2"]) == 0


def test_a_killed_runs_planned_outputs_are_its_own(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    args = [str(out), "-i", str(bold_file), "-r", str(atlas_file)]
    assert main(args) == 0
    record_file = out / "niimasker_data" / "parameters.json"
    record = json.loads(record_file.read_text())
    record["status"] = "running"  # killed after writing its first table
    record["runs"][0]["files"] = record["runs"][0]["files"][:3]  # only the planned
    record_file.write_text(json.dumps(record))
    assert main([*args, "--detrend"]) == 0


@pytest.mark.parametrize("folder", ["/", "/usr", "/etc", "~"])
def test_the_root_home_and_system_folders_are_refused(folder):
    with pytest.raises(errors.OutputError, match="root, your home folder or a system"):
        check_output_dir(folder)


def test_home_as_output_folder_writes_nothing(
    tmp_path, bold_file, atlas_file, monkeypatch, capsys
):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    code = main([str(home), "-i", str(bold_file), "-r", str(atlas_file)])
    assert code == 2 and "home folder" in capsys.readouterr().err
    assert list(home.iterdir()) == []
