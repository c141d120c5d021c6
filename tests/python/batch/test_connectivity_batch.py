"""Connectivity through the batch: kept volumes only, n/a regions, tangent from the tables.

The oracle is nilearn 0.14's ``ConnectivityMeasure`` run on the cleaned
tables niimasker wrote, restricted to the kept (not censored) volumes.
"""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds
from nilearn.connectome import ConnectivityMeasure
from sklearn.covariance import EmpiricalCovariance, LedoitWolf

from niimasker_core import extract_timeseries, read_timeseries
from niimasker_core.errors import ConnectivityError, SettingsError
from niimasker_core.faces import cli

N_VOLUMES = 30
SPIKES = {1: (7, 8), 2: (12,), 3: (20, 21, 22)}
ESTIMATORS = {
    "empirical": EmpiricalCovariance,
    "ledoitwolf": lambda: LedoitWolf(store_precision=False),
}
ALL_KINDS = ["correlation", "partial correlation", "covariance", "precision", "tangent"]


@pytest.fixture
def study(tmp_path, rng):
    """Three runs with confounds (FD spikes to censor) and a 4-region atlas."""
    bolds, tables = [], []
    for sub, spikes in SPIKES.items():
        func = tmp_path / "in" / f"sub-0{sub}" / "func"
        bolds.append(
            write_bold(func / f"sub-0{sub}_task-rest_bold.nii.gz", rng, N_VOLUMES)
        )
        table, meta = fmriprep_table(N_VOLUMES, rng, fd_spikes=spikes)
        name = f"sub-0{sub}_task-rest_desc-confounds_timeseries.tsv"
        tables.append(write_confounds(func / name, table, meta))
    atlas = write_atlas(tmp_path / "in" / "atlas.nii.gz", rng, n_regions=4)
    return [str(b) for b in bolds], [str(t) for t in tables], str(atlas)


def _run(study, out, **kwargs):
    bolds, tables, atlas = study
    values = dict(
        regressor_files=tables,
        regressors=["trans_x", "trans_y", "csf"],
        fd_threshold=0.5,
        scrub=0,
        t_r=2.0,
        report=False,
    )
    values.update(kwargs)
    return extract_timeseries(bolds, atlas, str(out), **values)


def _kept_tables(result):
    """Each image's written table, its censored rows out: what nilearn is given."""
    out = []
    for item in result:
        table = pd.read_csv(
            result.output_dir + "/" + item.stem + "_timeseries.tsv",
            sep="\t",
            na_values="n/a",
        )
        censored = set(item.sidecar["CensoredVolumes"])
        rows = [v not in censored for v in item.sidecar["OutputVolumes"]]
        out.append(table.to_numpy(dtype=np.float64)[rows])
    return out


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_every_kind_equals_nilearn_on_the_kept_volumes(study, tmp_path, estimator):
    result = _run(
        study,
        tmp_path / "out",
        connectivity=ALL_KINDS,
        connectivity_estimator=estimator,
    )
    assert not result.failures
    tables = _kept_tables(result)
    for item, table in zip(result, tables):
        assert item.sidecar["NumberOfCensoredVolumes"] > 0
        assert table.shape[0] == N_VOLUMES - item.sidecar["NumberOfCensoredVolumes"]
    in_memory = [_kept(item) for item in result]
    for kind in ALL_KINDS:
        measure = ConnectivityMeasure(kind=kind, cov_estimator=ESTIMATORS[estimator]())
        # tangent is made at the batch's end from the tables on disk; the
        # other kinds from each image's values in memory
        ref = measure.fit_transform(tables if kind == "tangent" else in_memory)
        for item, expected in zip(result, ref):
            ours = item.connectivity[kind].to_numpy()
            np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=0)
            written = pd.read_csv(
                tmp_path / "out" / f"{item.stem}_{kind.replace(' ', '')}_relmat.tsv",
                sep="\t",
                index_col="Node",
            )
            np.testing.assert_allclose(written.to_numpy(), expected, rtol=1e-8)


def _kept(item) -> np.ndarray:
    censored = set(item.sidecar["CensoredVolumes"])
    return item.data.loc[[v not in censored for v in item.data.index]].to_numpy()


def test_in_memory_matrices_equal_nilearn_on_the_cleaned_values(study, tmp_path):
    result = _run(study, tmp_path / "out", connectivity=["precision", "correlation"])
    for item in result:
        censored = set(item.sidecar["CensoredVolumes"])
        kept = item.data.loc[[v for v in item.data.index if v not in censored]]
        ref = ConnectivityMeasure(
            kind="precision", cov_estimator=EmpiricalCovariance()
        ).fit_transform([kept.to_numpy()])[0]
        np.testing.assert_allclose(
            item.connectivity["precision"].to_numpy(), ref, rtol=1e-8, atol=0
        )
        pearson = kept.corr().to_numpy()
        np.testing.assert_allclose(
            item.connectivity["correlation"].to_numpy(), pearson, rtol=1e-10, atol=0
        )


def test_interpolated_rows_are_left_out(study, tmp_path):
    censored = _run(study, tmp_path / "a", connectivity=["correlation"])
    filled = _run(
        study,
        tmp_path / "b",
        connectivity=["correlation"],
        output_volumes="interpolated",
    )
    for a, b in zip(censored, filled):
        assert b.shape[0] > a.shape[0]
        pd.testing.assert_frame_equal(
            a.connectivity["correlation"], b.connectivity["correlation"], rtol=1e-10
        )
        meta = json.loads(
            (tmp_path / "b" / f"{b.stem}_correlation_relmat.json").read_text()
        )
        assert meta["NumberOfVolumes"] == a.shape[0]


def test_files_names_and_sidecars(study, tmp_path):
    out = tmp_path / "out"
    result = _run(
        study,
        out,
        connectivity=["partial correlation", "tangent"],
        connectivity_estimator="ledoitwolf",
        fisher_z=True,
    )
    item = result[0]
    for word, kind in (
        ("partialcorrelation", "partial correlation"),
        ("tangent", "tangent"),
    ):
        table = out / f"{item.stem}_{word}_relmat.tsv"
        frame = pd.read_csv(table, sep="\t")
        assert list(frame.columns) == ["Node", *item.columns]
        assert [str(n) for n in frame["Node"]] == item.columns
        meta = json.loads(table.with_suffix(".json").read_text())
        assert meta["Kind"] == kind and meta["Estimator"] == "ledoitwolf"
        assert meta["FisherZ"] is (kind == "partial correlation")
        assert meta["NumberOfVolumes"] == N_VOLUMES - len(
            item.sidecar["CensoredVolumes"]
        )
        assert meta["NodesLeftOut"] == []
    partial = pd.read_csv(out / f"{item.stem}_partialcorrelation_relmat.tsv", sep="\t")
    assert partial.iloc[:, 1:].isna().to_numpy().diagonal().all()  # arctanh(1): n/a
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert f"{item.stem}_tangent_relmat.tsv" in record["runs"][0]["files"]


def test_na_regions_are_na_rows_and_columns(study, tmp_path, rng):
    bolds, tables, atlas = study
    mask = nib.load(atlas)
    data = (np.asanyarray(mask.dataobj) != 4).astype(np.uint8)  # region 4 masked out
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(data, mask.affine).to_filename(mask_file)
    with pytest.warns(UserWarning, match="no voxels"):
        result = _run(
            study, tmp_path / "out", connectivity=["correlation", "tangent"],
            mask_img=str(mask_file),
        )  # fmt: skip
    for item in result:
        for kind in ("correlation", "tangent"):
            matrix = item.connectivity[kind]
            assert matrix.loc["4"].isna().all() and matrix["4"].isna().all()
            assert matrix.drop(index="4", columns="4").notna().all().all()
    meta = json.loads(
        (tmp_path / "out" / f"{result[0].stem}_correlation_relmat.json").read_text()
    )
    assert meta["NodesLeftOut"] == ["4"]


def test_resume_reads_the_matrices_back(study, tmp_path):
    first = _run(study, tmp_path / "out", connectivity=["covariance", "tangent"])
    again = _run(study, tmp_path / "out", connectivity=["covariance", "tangent"])
    assert all(item.skipped for item in again)
    for a, b in zip(first, again):
        for kind in ("covariance", "tangent"):
            np.testing.assert_allclose(
                b.connectivity[kind].to_numpy(),
                a.connectivity[kind].to_numpy(),
                rtol=1e-8,
            )
    read = read_timeseries(str(tmp_path / "out"))
    assert set(read[0].connectivity) == {"covariance", "tangent"}
    # a changed kind redoes the images (connectivity is in the fingerprint)
    changed = _run(study, tmp_path / "out", connectivity=["correlation"])
    assert not any(item.skipped for item in changed)


def test_shards_then_one_run_write_the_tangent(study, tmp_path):
    out = tmp_path / "out"
    for shard in ("1/2", "2/2"):
        _run(study, out, connectivity=["tangent"], shard=shard)
    assert not list(out.glob("*_tangent_relmat.tsv"))  # left to a run without shard
    whole = _run(study, out, connectivity=["tangent"])
    assert all(item.skipped for item in whole)
    fresh = _run(study, tmp_path / "fresh", connectivity=["tangent"])
    for item in fresh:
        name = f"{item.stem}_tangent_relmat.tsv"
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


def test_tangent_of_one_image_is_refused_before_reading(study, tmp_path):
    bolds, tables, atlas = study
    with pytest.raises(ConnectivityError, match="two or more images"):
        extract_timeseries(
            bolds[:1], atlas, str(tmp_path / "o"), connectivity="tangent"
        )
    assert not (tmp_path / "o").exists()


def test_unknown_kind_is_a_settings_error(study):
    bolds, _, atlas = study
    with pytest.raises(SettingsError, match="correlation"):
        extract_timeseries(bolds, atlas, connectivity=["pearson"])


def test_command_writes_the_matrices(study, tmp_path):
    bolds, _, atlas = study
    out = tmp_path / "cmd"
    code = cli.main(
        [str(out), "-i", *bolds, "-r", atlas, "--connectivity", "partial_correlation",
         "tangent", "--connectivity_estimator", "ledoitwolf", "--report", "false"]
    )  # fmt: skip
    assert code == 0
    assert len(list(out.glob("*_partialcorrelation_relmat.tsv"))) == 3
    assert len(list(out.glob("*_tangent_relmat.json"))) == 3


def test_report_draws_each_correlation_and_the_batch_mean(study, tmp_path, monkeypatch):
    from niimasker_core.batch.report import figures

    drawn = []
    real = figures.matrix

    def recording(values, limit=1.0):
        drawn.append((np.array(values), limit))
        return real(values, limit)

    monkeypatch.setattr(figures, "matrix", recording)
    result = _run(
        study,
        tmp_path / "out",
        connectivity=["correlation"],
        fisher_z=True,
        report=True,
    )
    text = (tmp_path / "out" / "report.html").read_text()
    assert "Batch mean correlation" in text and "Fisher z" in text
    assert text.count("The correlation matrix written") == len(result)
    mean, mean_limit = drawn[-1]  # drawn after the images' sections
    each = [item.connectivity["correlation"].to_numpy() for item in result]
    np.testing.assert_allclose(mean, np.mean(each, axis=0), rtol=1e-12)
    assert mean_limit == pytest.approx(np.nanmax(np.abs(mean)))
    assert len(drawn) == len(result) + 1
    for (values, _), expected in zip(drawn[:-1], each):
        np.testing.assert_array_equal(values, expected)
