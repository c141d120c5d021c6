"""FreeSurfer ``.mgh``/``.mgz`` surface runs, beside nilearn's SurfaceLabelsMasker.

FreeSurfer's ``mri_vol2surf`` writes a run sampled on a surface as
``lh.<name>.mgz`` and ``rh.<name>.mgz``; niimasker reads the two as one image,
as nilearn reads a ``SurfaceImage`` of both halves (nilearn loads ``.mgz``
but not ``.mgh``: those are checked against numpy means).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from nilearn.datasets import load_fsaverage
from nilearn.maskers import SurfaceLabelsMasker
from nilearn.surface import SurfaceImage
from surface_data import surface_series, write_label_gii, write_mgh

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

N_VOLUMES = 24


@pytest.fixture(scope="module")
def fsaverage5():
    return load_fsaverage("fsaverage5")["pial"]


@pytest.fixture
def run(tmp_path, rng, fsaverage5):
    """An fsaverage5 run as lh./rh. .mgz files, and an atlas of 5 regions per side."""
    n = fsaverage5.parts["left"].n_vertices
    bold, keys = {}, {}
    names = {0: "unknown"} | {k: f"region{k}" for k in range(1, 6)}
    for hemi in ("lh", "rh"):
        data = surface_series(rng, n, N_VOLUMES)
        path = tmp_path / f"{hemi}.sub-01_task-rest_bold.mgz"
        write_mgh(path, data, tr_ms=1500.0)
        bold[hemi] = (path, data)
        keys[hemi] = rng.integers(0, 6, n)
        write_label_gii(tmp_path / f"{hemi}.atlas.label.gii", keys[hemi], names)
    return bold, keys, tmp_path / "lh.atlas.label.gii"


def nilearn_means(mesh, left, right, keys, **kwargs) -> np.ndarray:
    image = SurfaceImage(mesh=mesh, data={"left": str(left), "right": str(right)})
    labels = SurfaceImage(mesh=mesh, data={"left": keys["lh"], "right": keys["rh"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SurfaceLabelsMasker(labels_img=labels, **kwargs).fit_transform(image)


def test_an_mgz_pair_is_one_image_equal_to_nilearn(run, fsaverage5):
    bold, keys, atlas = run
    files = [str(bold["rh"][0]), str(bold["lh"][0])]  # any order
    result = extract_timeseries(files, str(atlas))
    assert len(result.timeseries) == 1
    item = result.timeseries[0]
    assert item.stem == "sub-01_task-rest_bold"  # lh. dropped
    assert (item.t_r, item.t_r_source) == (1.5, "header")  # tr, in ms
    expected = nilearn_means(fsaverage5, bold["lh"][0], bold["rh"][0], keys)
    np.testing.assert_allclose(item.data.to_numpy(), expected, rtol=1e-6)
    assert list(item.data.columns) == [f"region{k}" for k in range(1, 6)]


def test_cleaning_equals_nilearns(run, fsaverage5):
    bold, keys, atlas = run
    expected = nilearn_means(
        fsaverage5,
        bold["lh"][0],
        bold["rh"][0],
        keys,
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.05,
        t_r=1.5,
    )
    got = extract_timeseries(
        [str(bold["lh"][0]), str(bold["rh"][0])],
        str(atlas),
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.05,
    ).timeseries[0]
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-5, atol=1e-6)


def test_bids_named_mgh_pair_uncompressed_equals_numpy(tmp_path, rng):
    """``.mgh`` (nilearn does not read it): region means against numpy."""
    n_left, n_right = 300, 320
    data = {
        h: surface_series(rng, n, N_VOLUMES) for h, n in (("L", n_left), ("R", n_right))
    }
    keys = {"L": rng.integers(0, 4, n_left), "R": rng.integers(0, 4, n_right)}
    files = []
    for hemi in ("L", "R"):
        path = tmp_path / f"sub-02_task-rest_hemi-{hemi}_space-fsaverage_bold.mgh"
        write_mgh(path, data[hemi], tr_ms=0.0)  # no TR in the header
        write_label_gii(
            tmp_path / f"hemi-{hemi}_atlas.label.gii",
            keys[hemi],
            {0: "bg", 1: "a", 2: "b", 3: "c"},
        )
        files.append(str(path))
    sidecar = tmp_path / "sub-02_task-rest_hemi-L_space-fsaverage_bold.json"
    sidecar.write_text(json.dumps({"RepetitionTime": 2.0}))
    item = extract_timeseries(
        files, str(tmp_path / "hemi-L_atlas.label.gii")
    ).timeseries[0]
    assert item.stem == "sub-02_task-rest_space-fsaverage_bold"
    assert (item.t_r, item.t_r_source) == (2.0, "sidecar")
    both = np.hstack([data["L"], data["R"]])
    labels = np.concatenate([keys["L"], keys["R"]])
    expected = np.stack(
        [both[:, labels == k].mean(axis=1, dtype=np.float64) for k in (1, 2, 3)], 1
    )
    np.testing.assert_allclose(item.data.to_numpy(), expected, rtol=1e-6)


def test_t_r_wins_over_the_header(run):
    bold, _, atlas = run
    with pytest.warns(errors.RepetitionTimeWarning, match="the MGH header says 1.5 s"):
        item = extract_timeseries(
            [str(bold["lh"][0]), str(bold["rh"][0])], str(atlas), t_r=2.0
        ).timeseries[0]
    assert (item.t_r, item.t_r_source) == (2.0, "parameter")


def test_one_hemisphere_alone_is_an_image(run):
    bold, keys, atlas = run
    item = extract_timeseries([str(bold["rh"][0])], str(atlas)).timeseries[0]
    data, labels = bold["rh"][1], keys["rh"]
    expected = np.stack(
        [data[:, labels == k].mean(axis=1, dtype=np.float64) for k in range(1, 6)], 1
    )
    assert item.stem == "rh.sub-01_task-rest_bold"  # alone: its own name
    np.testing.assert_allclose(item.data.to_numpy(), expected, rtol=1e-6)


def test_the_command_and_a_config_read_a_wildcard_of_both_halves(run, tmp_path):
    bold, _, atlas = run
    out = tmp_path / "out"
    pattern = str(tmp_path / "?h.sub-01_task-rest_bold.mgz")
    assert main([str(out), "-i", pattern, "-r", str(atlas)]) == 0
    table = pd.read_csv(out / "sub-01_task-rest_bold_timeseries.tsv", sep="\t")
    assert table.shape == (N_VOLUMES, 5)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"input_files": [pattern], "roi_file": str(atlas)}))
    assert main([str(tmp_path / "out2"), "-c", str(config)]) == 0
    again = pd.read_csv(
        tmp_path / "out2" / "sub-01_task-rest_bold_timeseries.tsv", sep="\t"
    )
    pd.testing.assert_frame_equal(table, again)


def test_a_file_of_no_known_hemisphere_is_refused(tmp_path, rng):
    path = tmp_path / "bold.mgz"
    write_mgh(path, surface_series(rng, 50, 4))
    write_label_gii(
        tmp_path / "lh.a.label.gii", rng.integers(0, 3, 50), {1: "a", 2: "b"}
    )
    with pytest.raises(errors.InputFileError, match="lh./rh. or hemi-L/hemi-R"):
        extract_timeseries([str(path)], str(tmp_path / "lh.a.label.gii"))


def test_lh_rh_runs_pair_with_their_confounds_by_entities(tmp_path, rng):
    """A wildcard of two subjects' lh./rh. runs: each run gets its own confounds."""
    write_label_gii(
        tmp_path / "lh.a.label.gii", rng.integers(0, 3, 100), {1: "a", 2: "b"}
    )
    atlas = str(tmp_path / "lh.a.label.gii")
    expected = {}
    for sub in ("01", "02"):
        runs = [
            str(tmp_path / f"{h}.sub-{sub}_task-rest_bold.mgz") for h in ("lh", "rh")
        ]
        for run in runs:
            write_mgh(run, surface_series(rng, 100, N_VOLUMES))
        confounds = tmp_path / f"sub-{sub}_task-rest_desc-confounds_timeseries.tsv"
        pd.DataFrame({"trans_x": rng.normal(size=N_VOLUMES)}).to_csv(
            confounds, sep="\t", index=False
        )
        alone = extract_timeseries(
            runs, atlas, regressor_files=[str(confounds)], regressors=["trans_x"]
        )
        expected[f"sub-{sub}_task-rest_bold"] = alone.timeseries[0].data
    result = extract_timeseries(
        str(tmp_path / "?h.sub-*_bold.mgz"),
        atlas,
        regressor_files=str(tmp_path / "sub-*_desc-confounds_timeseries.tsv"),
        regressors=["trans_x"],
    )
    assert sorted(t.stem for t in result.timeseries) == sorted(expected)
    for item in result.timeseries:
        pd.testing.assert_frame_equal(item.data, expected[item.stem])
