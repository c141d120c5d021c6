"""Several ROI sets from one read of each image: the same as separate runs."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from conftest import make_atlas

from niimasker_core import errors
from niimasker_core.faces import api
from niimasker_core.faces.cli import main


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


# ------------------------------------------------------ labels and mask_img per ROI set
@pytest.fixture
def per_set_files(tmp_path, affine):
    """A labels table for the fine atlas and two masks that cut the regions."""
    table = tmp_path / "fine_labels.tsv"
    table.write_text("index\tname\n" + "".join(f"{i}\tfine{i}\n" for i in range(1, 6)))
    half = np.zeros((7, 8, 9), dtype=np.uint8)
    half[:4] = 1
    front = np.zeros((7, 8, 9), dtype=np.uint8)
    front[:, 3:] = 1
    masks = []
    for name, data in (("half", half), ("front", front)):
        path = tmp_path / f"mask-{name}.nii.gz"
        nib.Nifti1Image(data, affine).to_filename(path)
        masks.append(path)
    return table, *masks


def _same_outputs(together, alone, name):
    stem = "sub-01_task-rest_bold"
    for kind in ("timeseries.tsv", "coverage.tsv"):
        got = (together / f"{stem}_atlas-{name}_{kind}").read_bytes()
        assert got == (alone / f"{stem}_{kind}").read_bytes(), (name, kind)
    got = json.loads((together / f"{stem}_atlas-{name}_timeseries.json").read_text())
    want = json.loads((alone / f"{stem}_timeseries.json").read_text())
    assert got["Columns"] == want["Columns"] and got["Cleaning"] == want["Cleaning"]


def test_per_set_labels_and_masks_equal_separate_runs(
    tmp_path, bold_file, atlas_file, second_atlas, maps_file, per_set_files
):
    table, half, front = per_set_files
    settings = {"detrend": True, "t_r": 2.0, "report": False}
    together = tmp_path / "together"
    api.extract_timeseries(
        str(bold_file),
        {"fine": str(atlas_file), "coarse": str(second_atlas), "maps": str(maps_file)},
        str(together),
        labels={"fine": str(table), "coarse": ["a", "b", "c"]},
        mask_img={"fine": str(half), "maps": str(front)},
        **settings,
    )
    alone = {
        "fine": {"roi_file": atlas_file, "labels": str(table), "mask_img": str(half)},
        "coarse": {"roi_file": second_atlas, "labels": ["a", "b", "c"]},
        "maps": {"roi_file": maps_file, "mask_img": str(front)},
    }
    for name, own in alone.items():
        folder = tmp_path / f"alone-{name}"
        api.extract_timeseries(
            str(bold_file), str(own.pop("roi_file")), str(folder), **own, **settings
        )
        _same_outputs(together, folder, name)
    header = (together / "sub-01_task-rest_bold_atlas-fine_timeseries.tsv").open()
    assert header.readline().split() == [f"fine{i}" for i in range(1, 6)]
    record = json.loads((together / "niimasker_data" / "parameters.json").read_text())
    assert record["roi"]["fine"]["labels"] == str(table)
    assert record["roi"]["fine"]["mask_img"] == str(half)
    assert record["roi"]["coarse"]["labels"] == ["a", "b", "c"]
    assert record["roi"]["coarse"]["mask_img"] is None  # left out: no mask
    assert record["roi"]["maps"]["mask_img"] == str(front)
    assert record["parameters"]["mask_img"] == {"fine": str(half), "maps": str(front)}
    sidecar = together / "sub-01_task-rest_bold_atlas-coarse_timeseries.json"
    assert json.loads(sidecar.read_text())["Cleaning"]["mask_img"] is None


def test_one_mask_still_applies_to_every_set(
    tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    _, half, _ = per_set_files
    settings = {"t_r": 2.0, "report": False, "mask_img": str(half)}
    together = tmp_path / "together"
    api.extract_timeseries(
        str(bold_file), [f"fine={atlas_file}", f"coarse={second_atlas}"],
        str(together), **settings,
    )  # fmt: skip
    for name, roi in (("fine", atlas_file), ("coarse", second_atlas)):
        folder = tmp_path / f"alone-{name}"
        api.extract_timeseries(str(bold_file), str(roi), str(folder), **settings)
        _same_outputs(together, folder, name)


def test_command_config_and_python_give_the_same_bytes(
    tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    table, half, front = per_set_files
    rois = ["-r", f"fine={atlas_file}", "-r", f"coarse={second_atlas}"]
    common = ["-i", str(bold_file), *rois, "--t_r", "2", "--report", "false"]
    command = tmp_path / "command"
    argv = [str(command), *common, "--labels", f"fine={table}",
            "-m", f"fine={half}", "-m", f"coarse={front}"]  # fmt: skip
    assert main(argv) == 0
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "labels": {"fine": str(table)},
        "mask_img": {"fine": str(half), "coarse": str(front)},
    }))  # fmt: skip
    assert main([str(tmp_path / "config"), *common, "-c", str(config)]) == 0
    api.extract_timeseries(
        str(bold_file), {"fine": str(atlas_file), "coarse": str(second_atlas)},
        str(tmp_path / "python"), t_r=2.0, report=False,
        labels={"fine": table}, mask_img={"fine": half, "coarse": front},
    )  # fmt: skip
    for name in ("fine", "coarse"):
        for kind in ("timeseries.tsv", "coverage.tsv"):
            file = f"sub-01_task-rest_bold_atlas-{name}_{kind}"
            want = (command / file).read_bytes()
            assert (tmp_path / "config" / file).read_bytes() == want, file
            assert (tmp_path / "python" / file).read_bytes() == want, file
    record = json.loads((command / "niimasker_data" / "parameters.json").read_text())
    assert record["parameters"]["labels"] == {"fine": str(table)}
    assert record["parameters"]["mask_img"] == {"fine": str(half), "coarse": str(front)}


def test_a_key_that_names_no_set_is_an_error_naming_it(
    capsys, tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    table, half, _ = per_set_files
    rois = {"fine": str(atlas_file), "coarse": str(second_atlas)}
    with pytest.raises(errors.SettingsError) as info:
        api.extract_timeseries(str(bold_file), rois, mask_img={"fien": str(half)})
    message = str(info.value)
    assert "'fien' (did you mean 'fine'?)" in message
    assert "['fine', 'coarse']" in message and "mapping of set name" in message
    with pytest.raises(errors.SettingsError, match="'atlas' names no set"):
        api.plan_extraction(str(bold_file), rois, labels={"atlas": str(table)})
    argv = [str(tmp_path / "o"), "-i", str(bold_file), "-r", f"fine={atlas_file}",
            "-r", f"coarse={second_atlas}", "--labels", f"coarse2={table}"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "SettingsError: --labels is keyed by ROI set names" in err
    assert "'coarse2' (did you mean 'coarse'?)" in err
    assert "--labels NAME=TABLE.tsv for each set" in err
    assert not (tmp_path / "o").exists()  # refused before anything is written


def test_default_set_names_are_the_keys(
    tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    _, half, _ = per_set_files  # names from the files: 'atlas' and 'coarse'
    result = api.extract_timeseries(
        str(bold_file), [str(atlas_file), str(second_atlas)], mask_img={"coarse": half}
    )
    coarse = next(item for item in result.timeseries if item.atlas == "coarse")
    assert coarse.sidecar["Cleaning"]["mask_img"] == str(half)
    assert result.parameters["roi"]["atlas"]["mask_img"] is None


def test_one_labels_value_for_several_sets_says_how_to_key_it(
    bold_file, atlas_file, second_atlas
):
    with pytest.raises(errors.RoiError) as info:
        api.extract_timeseries(
            str(bold_file), [str(atlas_file), str(second_atlas)], labels=["a"]
        )
    assert "['atlas', 'coarse']" in str(info.value)
    assert "--labels NAME=TABLE.tsv" in info.value.render("command")


def test_per_set_values_need_roi_sets(bold_file, per_set_files):
    _, half, _ = per_set_files
    with pytest.raises(errors.SettingsError, match="per ROI set, but there is no"):
        api.extract_timeseries(str(bold_file), mask_img={"fine": str(half)})


def test_changing_one_sets_mask_or_labels_redoes_the_image(
    capsys, tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    table, half, front = per_set_files
    out = tmp_path / "out"
    argv = [str(out), "-i", str(bold_file), "-r", f"fine={atlas_file}", "-r",
            f"coarse={second_atlas}", "--labels", f"fine={table}", "-m",
            f"fine={half}", "--report", "false"]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 0
    assert "0 written, 1 skipped" in capsys.readouterr().err
    assert main([*argv, "-m", f"coarse={front}"]) == 0  # another set's mask
    assert "1 written, 0 skipped" in capsys.readouterr().err
    moved = argv[: argv.index(f"fine={half}")] + [f"fine={front}", "--report", "false"]
    assert main(moved) == 0  # the same set, another mask
    assert "1 written, 0 skipped" in capsys.readouterr().err
    assert main(moved) == 0
    assert "0 written, 1 skipped" in capsys.readouterr().err
    table.write_text(table.read_text().replace("fine1", "first"))  # the set's table
    assert main(moved) == 0
    assert "1 written, 0 skipped" in capsys.readouterr().err
    header = (out / "sub-01_task-rest_bold_atlas-fine_timeseries.tsv").open().readline()
    assert header.split()[0] == "first"


def test_one_mask_flag_before_the_output_folder_is_one_value(
    tmp_path, bold_file, atlas_file, second_atlas, per_set_files
):
    _, half, _ = per_set_files  # -m takes one word per flag: the folder is not eaten
    out = tmp_path / "out"
    argv = ["-m", str(half), str(out), "-i", str(bold_file), "-r", str(atlas_file),
            "-r", str(second_atlas), "--report", "false"]  # fmt: skip
    assert main(argv) == 0
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert record["parameters"]["mask_img"] == str(half)
    assert {r["mask_img"] for r in record["roi"].values()} == {str(half)}
