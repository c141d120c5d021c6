"""output_layout='bids': a BIDS derivative dataset, every name checked against its pattern."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import SHAPE, make_atlas, make_bold
from surface_data import (
    brain_models,
    random_keys,
    write_dlabel,
    write_dtseries,
    write_toy_gifti_run,
)

from niimasker_core.errors import ImageNotFoundError, OutputError, SettingsError
from niimasker_core.faces import api
from niimasker_core.version import __version__

SPACE = "MNI152NLin2009cAsym"
#: <source entities>[_space-<>]_atlas-<set>[_res-|_den-]_stat-<stat>_<suffix><ext>
OUTPUT = re.compile(
    r"^sub-(?P<sub>[A-Za-z0-9]+)/(?:ses-(?P<ses>[A-Za-z0-9]+)/)?func/"
    r"sub-(?P=sub)(?:_ses-(?P=ses))?_task-[A-Za-z0-9]+(?:_run-\d+)?"
    r"(?:_space-[A-Za-z0-9]+)?_atlas-(?P<atlas>[A-Za-z0-9]+)(?:_den-[A-Za-z0-9]+)?"
    r"_stat-(?:[a-z]+_timeseries\.(?:tsv|json)|coverage_bold\.tsv|[a-z]+_relmat\.(?:tsv|json))$"
)
ATLAS = re.compile(
    r"^atlases/atlas-(?P<a>[A-Za-z0-9]+)/atlas-(?P=a)_(?:(?:dseg|probseg)\."
    r"(?:nii\.gz|tsv|dlabel\.nii|label\.gii)|spheres\.tsv|coordinates\.tsv)$"
)


def every_file(out: Path) -> list[str]:
    return sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file()
        and not p.relative_to(out).as_posix().startswith("niimasker_data/")
    )


def check_dataset(out: Path) -> list[str]:
    """Check every name of a BIDS-layout folder; return the per-image outputs."""
    description = json.loads((out / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative"
    assert description["GeneratedBy"][0]["Version"] == __version__
    outputs = []
    for name in every_file(out):
        if name in ("dataset_description.json", "report.html"):
            continue
        assert OUTPUT.match(name) or ATLAS.match(name), name
        if OUTPUT.match(name):
            outputs.append(name)
    return outputs


@pytest.fixture
def volume_runs(tmp_path, rng, affine):
    runs = []
    for ses, run in (("1", 1), ("1", 2), ("2", 1)):
        path = (
            tmp_path
            / f"sub-01_ses-{ses}_task-loc_run-{run}_space-{SPACE}_desc-preproc_bold.nii.gz"
        )
        make_bold(rng, affine, n_volumes=12).to_filename(path)
        runs.append(str(path))
    atlas = tmp_path / "atlas.nii.gz"
    make_atlas(rng, affine).to_filename(atlas)
    return runs, str(atlas)


def test_the_issue_example_and_every_name(tmp_path, rng, affine):
    bold = tmp_path / f"sub-01_task-loc_run-1_space-{SPACE}_desc-preproc_bold.nii.gz"
    make_bold(rng, affine, n_volumes=12).to_filename(bold)
    atlas = tmp_path / "atlas.nii.gz"
    make_atlas(rng, affine).to_filename(atlas)
    out = tmp_path / "out"
    api.extract_timeseries(
        [str(bold)], {"pyhrf": str(atlas)}, str(out), output_layout="bids"
    )
    expected = (
        f"sub-01/func/sub-01_task-loc_run-1_space-{SPACE}_atlas-pyhrf"
        "_stat-mean_timeseries.tsv"
    )
    assert (out / expected).is_file()
    assert len(check_dataset(out)) == 3
    assert (
        out / "atlases/atlas-pyhrf/atlas-pyhrf_dseg.nii.gz"
    ).read_bytes() == atlas.read_bytes()
    table = (out / "atlases/atlas-pyhrf/atlas-pyhrf_dseg.tsv").read_text().splitlines()
    assert table[0] == "index\tname" and len(table) == 6


def test_sessions_several_sets_resume_and_read_back(tmp_path, volume_runs):
    runs, atlas = volume_runs
    out = tmp_path / "out"
    sets = {"a": atlas, "b": atlas}
    first = api.extract_timeseries(
        runs, sets, str(out), output_layout="bids", report=False
    )
    outputs = check_dataset(out)
    assert len(outputs) == 3 * 2 * 3  # images x sets x (table, sidecar, coverage)
    assert any(name.startswith("sub-01/ses-2/func/sub-01_ses-2_") for name in outputs)
    again = api.extract_timeseries(
        runs, sets, str(out), output_layout="bids", report=False
    )
    assert all(item.skipped for item in again)  # a second run resumes
    assert check_dataset(out) == outputs
    back = api.read_timeseries(str(out))
    assert [i.stem for i in back] == [i.stem for i in first]
    for read, made in zip(back, first):
        np.testing.assert_allclose(
            read.data.to_numpy(), made.data.to_numpy(), rtol=1e-6
        )


def test_shards_write_one_valid_dataset(tmp_path, volume_runs):
    runs, atlas = volume_runs
    out = tmp_path / "out"
    for shard in ("1/2", "2/2"):
        api.extract_timeseries(
            runs,
            {"a": atlas},
            str(out),
            output_layout="bids",
            shard=shard,
            report=False,
        )
    assert len(check_dataset(out)) == 3 * 3


def test_a_foreign_file_in_the_dataset_is_kept(tmp_path, volume_runs):
    runs, atlas = volume_runs
    out = tmp_path / "out"
    out.mkdir()
    (out / "dataset_description.json").write_text("{}")
    with pytest.raises(OutputError, match="dataset_description.json"):
        api.extract_timeseries(runs, {"a": atlas}, str(out), output_layout="bids")
    assert (out / "dataset_description.json").read_text() == "{}"


def test_non_bids_names_and_voxels_are_refused(tmp_path, rng, affine):
    bold = tmp_path / "run1.nii.gz"
    make_bold(rng, affine, n_volumes=12).to_filename(bold)
    atlas = tmp_path / "atlas.nii.gz"
    make_atlas(rng, affine).to_filename(atlas)
    with pytest.raises(SettingsError, match="no BIDS name"):
        api.extract_timeseries(
            [str(bold)], str(atlas), str(tmp_path / "o"), output_layout="bids"
        )
    bids = tmp_path / "sub-01_task-rest_bold.nii.gz"
    bold.rename(bids)
    with pytest.raises(ImageNotFoundError, match="roi_file"):  # ours, not nibabel's
        api.extract_timeseries(
            [str(bids)], str(tmp_path / "none.nii.gz"), str(tmp_path / "o"),
            output_layout="bids",
        )  # fmt: skip
    with pytest.raises(SettingsError, match="roi_file"):
        api.extract_timeseries(
            [str(bids)], None, str(tmp_path / "o"), output_layout="bids"
        )


def test_surface_runs_drop_hemi_and_keep_space_and_density(tmp_path, rng):
    models = brain_models(rng)
    dense = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    write_dtseries(dense, models, rng, n_volumes=12)
    dlabel = tmp_path / "atlas-gl_dseg.dlabel.nii"
    write_dlabel(dlabel, models, random_keys(models, rng))
    pairs, _ = write_toy_gifti_run(
        tmp_path, rng, "sub-02_task-rest_hemi-{hemi}_space-fsaverage5_bold"
    )
    out = tmp_path / "out"
    api.extract_timeseries(
        [str(dense)], str(dlabel), str(out), output_layout="bids", report=False
    )
    gifti = str(tmp_path / "hemi-L_atlas-toy_dseg.label.gii")
    api.extract_timeseries(pairs, gifti, str(out), output_layout="bids", report=False)
    outputs = check_dataset(out)
    assert (
        "sub-01/func/sub-01_task-rest_space-fsLR_atlas-gl_den-91k_stat-mean_timeseries.tsv"
        in outputs
    )
    assert (
        "sub-02/func/sub-02_task-rest_space-fsaverage5_atlas-toy_stat-mean_timeseries.tsv"
        in outputs
    )
    assert not any("hemi-" in name for name in outputs)


def test_a_killed_run_is_completed_and_its_temporaries_removed(tmp_path, volume_runs):
    runs, atlas = volume_runs
    out = tmp_path / "out"
    api.extract_timeseries(
        runs, {"a": atlas}, str(out), output_layout="bids", report=False
    )
    sidecar = next(out.rglob("*run-2_*_timeseries.json"))
    sidecar.unlink()  # killed before the last file of that image
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = sidecar.with_name(
        f".{sidecar.name}.0123456789ab.{child.pid}@{socket.gethostname()}"
        ".niimasker-tmp.json"
    )
    stale.write_text("half")
    again = api.extract_timeseries(
        runs, {"a": atlas}, str(out), output_layout="bids", report=False
    )
    assert [item.skipped for item in again] == ["run-2" not in i.file for i in again]
    assert sidecar.is_file() and not stale.exists()
    assert len(check_dataset(out)) == 3 * 3


def test_spheres_and_maps_are_named_and_copied(tmp_path, volume_runs, rng, affine):
    runs, _ = volume_runs
    coords = tmp_path / "coords.tsv"
    coords.write_text("x\ty\tz\n-5\t-5\t-5\n8\t8\t8\n")
    maps = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(rng.random((*SHAPE, 3)).astype(np.float32), affine).to_filename(
        maps
    )
    out = tmp_path / "out"
    api.extract_timeseries(
        runs[:1], {"sph": str(coords), "mp": str(maps)}, str(out),
        output_layout="bids", radius=4, labels={"mp": ["a", "b", "c"]}, report=False,
    )  # fmt: skip
    assert len(check_dataset(out)) == 2 * 3
    copies = out / "atlases"
    assert (
        copies / "atlas-sph/atlas-sph_coordinates.tsv"
    ).read_bytes() == coords.read_bytes()
    assert (
        copies / "atlas-mp/atlas-mp_probseg.nii.gz"
    ).read_bytes() == maps.read_bytes()


def test_the_stat_entity_is_the_regions_statistic(tmp_path, volume_runs):
    runs, atlas = volume_runs
    out = tmp_path / "out"
    api.extract_timeseries(
        runs[:1], {"a": atlas}, str(out), output_layout="bids", strategy="median",
        report=False,
    )  # fmt: skip
    names = [Path(name).name for name in every_file(out) if name.startswith("sub-")]
    assert sorted(names) == sorted(
        f"sub-01_ses-1_task-loc_run-1_space-{SPACE}_atlas-a_stat-{stat}"
        for stat in (
            "median_timeseries.tsv",
            "median_timeseries.json",
            "coverage_bold.tsv",
        )
    )


def test_connectivity_matrices_take_bids_names_resume_and_read_back(
    tmp_path, volume_runs
):
    """Each kind's relmat is named ..._atlas-<set>_stat-<kind>_relmat.tsv (XCP-D's words)."""
    runs, atlas = volume_runs
    out = tmp_path / "out"
    kinds = ["correlation", "partial correlation", "tangent"]
    first = api.extract_timeseries(
        runs,
        {"pyhrf": atlas},
        str(out),
        t_r=2,
        output_layout="bids",
        connectivity=kinds,
        report=False,
    )
    outputs = check_dataset(out)
    relmats = sorted(n for n in outputs if n.endswith("_relmat.tsv"))
    assert len(relmats) == len(runs) * len(kinds)
    name = (
        "sub-01/ses-1/func/sub-01_ses-1_task-loc_run-1_space-MNI152NLin2009cAsym"
        "_atlas-pyhrf_stat-{}_relmat.tsv"
    )
    for stat in ("pearsoncorrelation", "partialcorrelation", "tangent"):
        assert name.format(stat) in relmats
        assert (out / name.format(stat).replace(".tsv", ".json")).is_file()
    again = api.extract_timeseries(
        runs,
        {"pyhrf": atlas},
        str(out),
        t_r=2,
        output_layout="bids",
        connectivity=kinds,
        report=False,
    )
    assert all(item.skipped for item in again)
    back = api.read_timeseries(str(out))
    for made, read in zip(first, back):
        assert set(read.connectivity) == set(kinds)
        np.testing.assert_allclose(
            read.connectivity["correlation"].to_numpy(),
            made.connectivity["correlation"].to_numpy(),
            rtol=1e-7,
        )
