"""Bombs and budgets: a header claiming gigabytes is refused before any data are read.

A bomb here is a header claiming a huge array over a payload of a few bytes
(a ``.nii.gz`` of about 100 bytes). Every data read is made to fail loudly
(nibabel's array proxy, nilearn's loaders through it, and the stream), so a
test passes only if the refusal comes from the header alone.
"""

from __future__ import annotations

import gzip
import shutil
from collections import namedtuple
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import make_bold
from conftest import one_error_line as one_line

from niimasker_core.domains import budget
from niimasker_core.domains.volume import nifti
from niimasker_core.errors import BudgetError, InputFileError, SettingsError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.params.coercion import as_size

EXTDATA = Path(__file__).parents[3] / "inst" / "extdata"
DTSERIES = (
    EXTDATA
    / "fmriprep/sub-01/func/sub-01_task-rest_space-fsLR_den-toy_bold.dtseries.nii"
)


def bomb(path: Path, shape, dtype=np.float32, payload: int = 64) -> Path:
    """Write a .nii.gz whose header claims ``shape`` over ``payload`` zero bytes."""
    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(dtype)
    header.set_sform(np.diag([2.0, 2.0, 2.0, 1.0]), 1)
    header.set_xyzt_units("mm", "sec")
    header["pixdim"][4] = 2.0
    header["vox_offset"] = 352
    raw = header.binaryblock + b"\0" * 4 + b"\0" * payload
    path.write_bytes(gzip.compress(raw))
    return path


@pytest.fixture
def no_reads(monkeypatch):
    """Make every read of image data fail, so that only headers can be looked at."""

    def refuse(*args, **kwargs):
        raise AssertionError("image data were read")

    monkeypatch.setattr(nib.arrayproxy.ArrayProxy, "_get_unscaled", refuse)
    monkeypatch.setattr(nifti, "iter_chunks", refuse)


def one_error_line(capsys, argv) -> str:
    return one_line(capsys, argv, extra=("--report", "false"))


def roles(tmp_path, bold_file, atlas_file, the_bomb):
    """The bomb as image, atlas, mask of an atlas, and voxel mask."""
    return {
        "image": ["-i", the_bomb, "-r", atlas_file],
        "atlas": ["-i", bold_file, "-r", the_bomb],
        "mask": ["-i", bold_file, "-r", atlas_file, "-m", the_bomb],
        "voxel mask": ["-i", bold_file, "-m", the_bomb],
    }


@pytest.mark.parametrize("role", ["image", "atlas", "mask", "voxel mask"])
def test_bomb_is_refused_from_its_header(
    capsys, tmp_path, bold_file, atlas_file, no_reads, role
):
    shape = (1000, 1000, 1000, 2) if role == "image" else (1000, 1000, 1000)
    the_bomb = bomb(tmp_path / "bomb.nii.gz", shape)
    assert the_bomb.stat().st_size < 200
    argv = roles(tmp_path, bold_file, atlas_file, the_bomb)[role]
    out = tmp_path / "out"
    line = one_error_line(capsys, [out, *argv, "--max_memory", "1GB"])
    assert line.startswith("BudgetError: ")
    assert "bomb.nii.gz" in line and "4.0 GB" in line and "1.0 GB" in line
    assert "--max_memory" in line
    assert not (out / "niimasker_data").exists()  # refused before writing
    keywords = {"-i": "input_files", "-r": "roi_file", "-m": "mask_img"}
    kwargs = {keywords[k]: str(v) for k, v in zip(argv[::2], argv[1::2])}
    with pytest.raises(BudgetError, match="max_memory='64GB'"):
        extract_timeseries(**kwargs, max_memory="1GB")


def test_default_budget_is_a_part_of_the_machine(tmp_path, bold_file, no_reads):
    assert 0 < budget.default_memory_budget() < budget.machine_memory()
    side = int(np.ceil((budget.machine_memory() / 8) ** (1 / 3))) + 1
    the_bomb = bomb(tmp_path / "bomb.nii.gz", (side, side, side), np.float64)
    with pytest.raises(BudgetError, match="bomb.nii.gz.*over the budget"):
        extract_timeseries([str(bold_file)], str(the_bomb))


def test_a_streamed_run_needs_only_one_volume(tmp_path, rng, affine, atlas_file):
    bold = tmp_path / "bold.nii.gz"
    make_bold(rng, affine).to_filename(bold)  # 7 x 8 x 9 x 40 float32: 80 kB
    volume = 7 * 8 * 9 * 4
    result = extract_timeseries([str(bold)], str(atlas_file), max_memory=4 * volume)
    assert result.timeseries[0].data.shape[0] == 40
    with pytest.raises(BudgetError, match="one volume needs 2.0 kB"):
        extract_timeseries([str(bold)], str(atlas_file), max_memory=volume // 2)


def test_truncated_uncompressed_files_are_refused_before_reading(
    capsys, tmp_path, affine, bold_file, atlas_file, no_reads
):
    cut = tmp_path / "cut.dtseries.nii"
    cut.write_bytes(DTSERIES.read_bytes()[:-100])
    line = one_error_line(capsys, [tmp_path / "o", "-i", cut, "-r", atlas_file])
    assert line.startswith("InputFileError: ") and "cut.dtseries.nii" in line
    assert "truncated" in line
    atlas = tmp_path / "atlas.nii"
    nib.Nifti1Image(np.ones((7, 8, 9), np.int16), affine).to_filename(atlas)
    atlas.write_bytes(atlas.read_bytes()[:-10])
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas])
    assert line.startswith("InputFileError: ") and "atlas.nii" in line


def test_cifti_header_claim_is_checked(tmp_path, atlas_file, no_reads):
    claim = budget.read_claim(DTSERIES)
    assert claim.n_volumes == nib.load(DTSERIES).shape[0]
    with pytest.raises(BudgetError, match="dtseries.nii.*one volume"):
        extract_timeseries([str(DTSERIES)], str(atlas_file), max_memory=100)


def truncated_gzip(path: Path, img: nib.Nifti1Image) -> Path:
    """Write ``img`` as .nii.gz whose gzip stream stops halfway through the data."""
    whole = tmp = path.with_suffix("").with_suffix(".full.nii")
    img.to_filename(tmp)
    raw = whole.read_bytes()
    whole.unlink()
    path.write_bytes(gzip.compress(raw[: 352 + (len(raw) - 352) // 2]))
    return path


@pytest.mark.parametrize("role", ["image", "atlas", "mask", "voxel mask"])
def test_truncated_gzip_is_named_while_reading(
    capsys, tmp_path, rng, affine, bold_file, atlas_file, role
):
    if role == "image":
        cut = truncated_gzip(tmp_path / "cut.nii.gz", make_bold(rng, affine))
    else:
        labels = nib.load(atlas_file)
        cut = truncated_gzip(tmp_path / "cut.nii.gz", labels)
    argv = roles(tmp_path, bold_file, atlas_file, cut)[role]
    line = one_error_line(capsys, [tmp_path / "o", *argv])
    assert line.startswith("InputFileError: ") and "cut.nii.gz" in line
    assert "Re-copy or regenerate" in line
    keywords = {"-i": "input_files", "-r": "roi_file", "-m": "mask_img"}
    kwargs = {keywords[k]: str(v) for k, v in zip(argv[::2], argv[1::2])}
    with pytest.raises(InputFileError, match="cut.nii.gz"):
        extract_timeseries(**kwargs)


def test_voxel_outputs_must_fit_the_disk(capsys, tmp_path, bold_file, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(budget.shutil, "disk_usage", lambda p: usage(10**6, 0, 1000))
    mask = tmp_path / "mask.nii.gz"
    img = nib.load(bold_file)
    nib.Nifti1Image(np.ones(img.shape[:3], np.uint8), img.affine).to_filename(mask)
    out = tmp_path / "out"
    line = one_error_line(capsys, [out, "-i", bold_file, "-m", mask])
    assert line.startswith("BudgetError: ") and "1.0 kB free" in line
    assert str(out) in line and "504 voxels" in line
    assert not (out / "niimasker_data" / "parameters.json").exists()


@pytest.mark.parametrize(
    ("word", "size"),
    [("8GB", 8 * 10**9), ("500MB", 5 * 10**8), ("1.5GiB", 3 * 2**29), (1000, 1000)],
)
def test_max_memory_words(word, size):
    assert as_size("max_memory", word) == size


@pytest.mark.parametrize("word", ["8XB", "-1GB", "0", True, "lots"])
def test_max_memory_bad_words(word):
    with pytest.raises(SettingsError, match="'max_memory' must be a size"):
        as_size("max_memory", word)


def test_max_memory_from_a_config(capsys, tmp_path, bold_file, no_reads):
    the_bomb = bomb(tmp_path / "bomb.nii.gz", (1000, 1000, 1000))
    config = tmp_path / "study.json"
    config.write_text('{"max_memory": "2GB"}')
    argv = [tmp_path / "o", "-i", bold_file, "-r", the_bomb, "-c", config]
    line = one_error_line(capsys, argv)
    assert line.startswith("BudgetError: ") and "budget of 2.0 GB" in line


def test_a_gifti_run_is_checked_from_its_xml(tmp_path, monkeypatch):
    from niimasker_core.domains.surface import gifti_io

    def refuse(*args, **kwargs):
        raise AssertionError("GIFTI data were decoded")

    monkeypatch.setattr(gifti_io, "_decode_all", refuse)
    func = EXTDATA / "fmriprep" / "sub-01" / "func"
    names = [f"sub-01_task-rest_hemi-{h}_space-toy_bold.func.gii" for h in "LR"]
    for name in names:
        shutil.copy(func / name, tmp_path / name)  # L: 400 vertices, R: 420
    text = (tmp_path / names[0]).read_text()
    (tmp_path / names[0]).write_text(text.replace('Dim0="400"', 'Dim0="100000000"'))
    atlas = [str(EXTDATA / f"hemi-{h}_atlas-toy14_dseg.label.gii") for h in "LR"]
    with pytest.raises(BudgetError, match=r"hemi-L.*\(80, 100000000\).*32.0 GB"):
        extract_timeseries([str(tmp_path / names[0])], atlas, max_memory="1GB")
    right = nib.load(tmp_path / names[1])
    claim = budget.read_claim(tmp_path / names[1])
    assert claim.data_bytes == sum(d.data.nbytes for d in right.darrays)
