"""The batch on surface runs: resume, shards, parallel runs, Dask and scrubbing, as for volumes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from surface_data import (
    brain_models,
    random_keys,
    surface_series,
    write_dlabel,
    write_dtseries,
    write_func_gii,
    write_label_gii,
)

from niimasker_core.faces import api

N_VERTICES = 120


def tables(folder: Path) -> dict[str, bytes]:
    """Every per-image output (tables, sidecars, coverage) by name, as bytes."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.name.endswith(("_timeseries.tsv", "_timeseries.json", "_coverage.tsv"))
    }


@pytest.fixture
def cifti_runs(tmp_path, rng) -> tuple[list[str], str]:
    models = brain_models(rng)
    runs = []
    for n in (1, 2, 3):
        path = tmp_path / f"sub-0{n}_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
        write_dtseries(path, models, rng, n_volumes=20)
        runs.append(str(path))
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    return runs, str(atlas)


@pytest.fixture
def gifti_pairs(tmp_path, rng) -> tuple[list[str], str]:
    runs = []
    for n in (1, 2):
        for hemi in ("L", "R"):
            path = (
                tmp_path
                / f"sub-0{n}_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
            )
            write_func_gii(path, surface_series(rng, N_VERTICES, n_volumes=20), None)
            runs.append(str(path))
    for hemi in ("L", "R"):
        write_label_gii(
            tmp_path / f"hemi-{hemi}_atlas-toy_dseg.label.gii",
            rng.integers(0, 4, N_VERTICES),
            {0: "wall", 1: "a", 2: "b", 3: "c"},
        )
    return runs, str(tmp_path / "hemi-L_atlas-toy_dseg.label.gii")


def run(runs, atlas, out, **extra):
    return api.extract_timeseries(runs, atlas, str(out), report=False, **extra)


def test_resume_skips_finished_runs_and_a_changed_hemisphere_redoes_its_pair(
    tmp_path, gifti_pairs
):
    runs, atlas = gifti_pairs
    out = tmp_path / "out"
    first = run(runs, atlas, out, detrend=True)
    assert len(first.timeseries) == 2  # two pairs, two tables
    before = tables(out)
    assert len(run(runs, atlas, out, detrend=True).skipped) == 2
    right = next(p for p in runs if "sub-02" in p and "hemi-R" in p)
    os.utime(right, ns=(1, 1))  # only the right half of sub-02 changed
    again = run(runs, atlas, out, detrend=True)
    assert [Path(p).name[:6] for p in again.skipped] == ["sub-01"]
    values = {k: v for k, v in tables(out).items() if k.endswith(".tsv")}
    assert values == {k: v for k, v in before.items() if k.endswith(".tsv")}


def test_shards_of_cifti_runs_together_equal_one_run(tmp_path, cifti_runs):
    runs, atlas = cifti_runs
    run(runs, atlas, tmp_path / "whole", detrend=True)
    for i in (1, 2):
        run(runs, atlas, tmp_path / "sharded", detrend=True, shard=f"{i}/2")
    assert tables(tmp_path / "sharded") == tables(tmp_path / "whole")


def test_parallel_and_dask_runs_write_the_same_bytes(tmp_path, cifti_runs, gifti_pairs):
    pytest.importorskip("dask.distributed")
    for name, (runs, atlas) in {"cifti": cifti_runs, "gifti": gifti_pairs}.items():
        serial = tmp_path / f"{name}-serial"
        run(runs, atlas, serial, standardize=True)
        run(runs, atlas, tmp_path / f"{name}-joblib", standardize=True, n_jobs=2)
        assert tables(tmp_path / f"{name}-joblib") == tables(serial)
    run(*cifti_runs, tmp_path / "dask", standardize=True, dask_scheduler="local")
    assert tables(tmp_path / "dask") == tables(tmp_path / "cifti-serial")


def test_discarded_and_scrubbed_volumes_as_for_volumes(tmp_path, cifti_runs):
    """The kept volumes' means, cleaned with the kept confounds (nilearn's clean)."""
    from nilearn.signal import clean

    runs, atlas = cifti_runs
    rng = np.random.default_rng(3)
    motion = rng.normal(0, 0.1, (20, 6))
    fd = np.r_[0.0, np.abs(rng.normal(0, 0.2, 19))]
    fd[[7, 12]] = 2.0  # two volumes over the threshold
    confounds = pd.DataFrame(
        motion, columns=[f"{k}_{a}" for k in ("trans", "rot") for a in "xyz"]
    ).assign(framewise_displacement=fd)
    path = Path(runs[0]).with_name("sub-01_task-rest_desc-confounds_timeseries.tsv")
    confounds.to_csv(path, sep="\t", index=False)
    raw = api.extract_timeseries(runs[:1], atlas).timeseries[0].data
    got = api.extract_timeseries(
        runs[:1],
        atlas,
        regressor_files=[str(path)],
        regressors=["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"],
        discard_scans=2,
        fd_threshold=0.5,
        scrub=0,
        detrend=True,
    ).timeseries[0]
    kept = np.setdiff1d(np.arange(2, 20), [7, 12])
    assert list(got.volumes) == kept.tolist()
    expected = clean(
        raw.to_numpy()[2:],
        confounds=motion[2:],
        sample_mask=kept - 2,
        detrend=True,
        standardize=None,
        t_r=0.8,
    )
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-5, atol=1e-5)
