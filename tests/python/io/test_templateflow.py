"""TemplateFlow atlases from a fake TEMPLATEFLOW_HOME with TemplateFlow's own file names."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_atlas, make_bold

from niimasker_core.errors import ImageNotFoundError, RoiError
from niimasker_core.faces import api, cli
from niimasker_core.io.templateflow import resolve_template_atlas

TEMPLATE = "MNI152NLin2009cAsym"
NAMES = ["Vis_1", "Vis_2", "SomMot_1", "DorsAttn_1", "Default_1"]


@pytest.fixture
def home(tmp_path, rng, affine, monkeypatch):
    folder = tmp_path / "templateflow" / f"tpl-{TEMPLATE}"
    folder.mkdir(parents=True)
    for res in ("01", "02"):
        make_atlas(rng, affine).to_filename(
            folder
            / f"tpl-{TEMPLATE}_res-{res}_atlas-Schaefer2018_desc-5Parcels7Networks_dseg.nii.gz"
        )
    rows = "".join(f"{k}\t{n}\n" for k, n in enumerate(NAMES, 1))
    (
        folder / f"tpl-{TEMPLATE}_atlas-Schaefer2018_desc-5Parcels7Networks_dseg.tsv"
    ).write_text("index\tname\n" + rows)
    monkeypatch.setenv("TEMPLATEFLOW_HOME", str(tmp_path / "templateflow"))
    bold = tmp_path / f"sub-01_task-rest_space-{TEMPLATE}_desc-preproc_bold.nii.gz"
    make_bold(rng, affine, n_volumes=10).to_filename(bold)
    return folder, str(bold)


SPEC = f"tpl:{TEMPLATE}/Schaefer2018/5Parcels7Networks/res-2"


def test_the_atlas_is_read_from_templateflow_home_with_its_names(tmp_path, home):
    folder, bold = home
    found = resolve_template_atlas(SPEC)
    assert found.image.endswith(
        "_res-02_atlas-Schaefer2018_desc-5Parcels7Networks_dseg.nii.gz"
    )
    ours = api.extract_timeseries([bold], SPEC, report=False)[0]
    same = api.extract_timeseries(
        [bold], found.image, labels=found.table, report=False
    )[0]
    assert list(ours.data.columns) == NAMES
    np.testing.assert_array_equal(ours.data.to_numpy(), same.data.to_numpy())
    out = tmp_path / "out"
    api.extract_timeseries([bold], SPEC, str(out), output_layout="bids", report=False)
    name = f"sub-01_task-rest_space-{TEMPLATE}_atlas-Schaefer2018_stat-mean"
    assert (out / "sub-01" / "func" / f"{name}_timeseries.tsv").is_file()


def test_the_command_takes_the_same_string(tmp_path, home, capsys):
    _, bold = home
    code = cli.main(
        [str(tmp_path / "cmd"), "-i", bold, "-r", SPEC, "--report", "false"]
    )
    assert code == 0
    assert (
        tmp_path
        / "cmd"
        / f"sub-01_task-rest_space-{TEMPLATE}_desc-preproc_bold_timeseries.tsv"
    ).is_file()


def test_a_missing_atlas_names_the_path_and_the_fetch(home):
    with pytest.raises(ImageNotFoundError) as caught:
        resolve_template_atlas(f"tpl:{TEMPLATE}/Schaefer2018/5Parcels7Networks/res-3")
    message = str(caught.value)
    assert "\n" not in message
    assert (
        f"tpl-{TEMPLATE}_res-03_atlas-Schaefer2018_desc-5Parcels7Networks_dseg.nii.gz"
        in message
    )
    assert "templateflow.api.get(" in message


def test_several_resolutions_need_one_named_and_bad_names_are_refused(home):
    with pytest.raises(
        RoiError, match="several TemplateFlow atlases .*_res-01_.*_res-02_"
    ):
        resolve_template_atlas(f"tpl:{TEMPLATE}/Schaefer2018/5Parcels7Networks")
    with pytest.raises(RoiError, match="no TemplateFlow atlas name"):
        resolve_template_atlas("tpl:onlyone")


def test_a_surface_atlas_is_found_by_its_density(tmp_path, monkeypatch):
    folder = tmp_path / "tf" / "tpl-fsLR"
    folder.mkdir(parents=True)
    for den in ("32k", "91k"):
        (folder / f"tpl-fsLR_atlas-Glasser_den-{den}_dseg.dlabel.nii").write_bytes(b"")
    (folder / "tpl-fsLR_atlas-Glasser_dseg.tsv").write_text("index\tname\n1\tV1\n")
    monkeypatch.setenv("TEMPLATEFLOW_HOME", str(tmp_path / "tf"))
    found = resolve_template_atlas("tpl:fsLR/Glasser/den-91k")
    assert found.image.endswith("tpl-fsLR_atlas-Glasser_den-91k_dseg.dlabel.nii")
    assert found.table.endswith("tpl-fsLR_atlas-Glasser_dseg.tsv")
