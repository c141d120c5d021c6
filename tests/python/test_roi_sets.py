"""Several ROI sets from one read of each image: the same as separate runs."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from conftest import make_atlas

from niimasker_core import api, errors
from niimasker_core.cli import main


@pytest.fixture
def second_atlas(tmp_path, rng, affine):
    path = tmp_path / "tpl_atlas-coarse_dseg.nii.gz"
    make_atlas(rng, affine, n_regions=3).to_filename(path)
    return path


@pytest.fixture
def maps_file(tmp_path, affine):
    grid = np.indices((7, 8, 9)).transpose(1, 2, 3, 0)
    maps = np.stack(
        [np.exp(-((grid - c) ** 2).sum(-1) / 5.0) for c in [(2, 2, 2), (4, 5, 6)]], -1
    )
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(path)
    return path


def test_several_sets_equal_separate_runs(
    tmp_path, bold_file, atlas_file, second_atlas, maps_file
):
    settings = {"detrend": True, "t_r": 2.0, "report": False}
    together = tmp_path / "together"
    result = api.extract_timeseries(
        str(bold_file), [f"fine={atlas_file}", str(second_atlas), str(maps_file)],
        str(together), **settings,
    )  # fmt: skip
    assert [item.atlas for item in result.timeseries] == [
        "fine",
        "coarse",
        "maps",
    ]
    stem = "sub-01_task-rest_bold"
    for name, roi in (
        ("fine", atlas_file),
        ("coarse", second_atlas),
        ("maps", maps_file),
    ):
        alone = tmp_path / f"alone-{name}"
        api.extract_timeseries(str(bold_file), str(roi), str(alone), **settings)
        for kind in ("timeseries.tsv", "coverage.tsv"):
            assert (together / f"{stem}_atlas-{name}_{kind}").read_bytes() == (
                alone / f"{stem}_{kind}"
            ).read_bytes(), (name, kind)
        got = json.loads(
            (together / f"{stem}_atlas-{name}_timeseries.json").read_text()
        )
        want = json.loads((alone / f"{stem}_timeseries.json").read_text())
        assert got["Columns"] == want["Columns"] and got["Cleaning"] == want["Cleaning"]
    record = json.loads((together / "niimasker_data" / "parameters.json").read_text())
    assert set(record["roi"]) == {"fine", "coarse", "maps"}


def test_several_sets_from_the_command_and_resume(
    capsys, tmp_path, bold_file, atlas_file, second_atlas
):
    out = tmp_path / "out"
    argv = [str(out), "-i", str(bold_file), "-r", str(atlas_file), "-r",
            str(second_atlas), "--report", "false"]  # fmt: skip
    assert main(argv) == 0
    names = sorted(p.name for p in out.glob("*_timeseries.tsv"))
    assert names == [
        "sub-01_task-rest_bold_atlas-atlas_timeseries.tsv",
        "sub-01_task-rest_bold_atlas-coarse_timeseries.tsv",
    ]
    capsys.readouterr()
    assert main(argv) == 0
    assert "0 written, 1 skipped" in capsys.readouterr().err  # one image, both sets
    (out / "sub-01_task-rest_bold_atlas-coarse_timeseries.json").unlink()
    again = api.extract_timeseries(
        str(bold_file), {"atlas": str(atlas_file), "coarse": str(second_atlas)},
        str(out), report=False,
    )  # fmt: skip
    assert again.skipped == []  # one set missing: the image is redone


def test_labels_need_one_set(bold_file, atlas_file, second_atlas):
    with pytest.raises(errors.RoiError, match="'labels' names the regions of one"):
        api.extract_timeseries(
            str(bold_file), [str(atlas_file), str(second_atlas)], labels=["a"]
        )


def test_one_named_set_keeps_the_seed_names(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    api.extract_timeseries(str(bold_file), f"fine={atlas_file}", str(out), report=False)
    assert (out / "sub-01_task-rest_bold_timeseries.tsv").is_file()
