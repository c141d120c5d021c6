"""The seed README's fMRIPrep example config runs as written on an fMRIPrep-like tree."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds

from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

# Verbatim from the seed README ("An equivalent configuration to the previous example"),
# including its repeated label "region2", which becomes "region2.1" with a warning.
SEED_CONFIG = """{
"input_files": "fmriprep/sub*/ses*/func/*preproc_bold.nii.gz",
"roi_file": "some_atlas.nii.gz",
"labels": ["region1", "region2", "region2"],
"regressor_files": "fmriprep/sub*/ses*/func/*confounds_regressors.tsv",
"regressors": "Params6",
"standardize": true,
"t_r": 2,
"high_pass": 0.01,
"detrend": true,
"discard_scans": 4,
"smoothing_fwhm": 6
}"""
N = 30
MOTION = ["rot_x", "rot_y", "rot_z", "trans_x", "trans_y", "trans_z"]


@pytest.fixture
def fmriprep_tree(tmp_path, rng, monkeypatch):
    """2 subjects x 2 sessions x 2 runs, fMRIPrep names, files created in shuffled order."""
    runs = [(s, ses, r) for s in ("01", "02") for ses in ("1", "2") for r in (1, 2)]
    random.Random(3).shuffle(runs)
    tables = {}
    for sub, ses, run in runs:
        func = tmp_path / "fmriprep" / f"sub-{sub}" / f"ses-{ses}" / "func"
        base = f"sub-{sub}_ses-{ses}_task-rest_run-{run}"
        write_bold(
            func / f"{base}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz",
            rng,
            N,
            sidecar_t_r=2.0,
        )
        table, meta = fmriprep_table(N, rng)
        write_confounds(func / f"{base}_desc-confounds_regressors.tsv", table, meta)
        # a decoy: the newer name for another task must not be picked up by the pattern
        write_confounds(
            func / f"sub-{sub}_ses-{ses}_task-other_desc-confounds_timeseries.tsv",
            table,
            meta,
        )
        tables[base] = table
    write_atlas(tmp_path / "some_atlas.nii.gz", rng, n_regions=3)
    (tmp_path / "config.json").write_text(SEED_CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path, tables


def test_seed_fmriprep_config_runs_from_the_command(fmriprep_tree, capsys):
    root, tables = fmriprep_tree
    assert main(["output/", "-c", "config.json"]) == 0
    assert "region2 -> region2.1" in capsys.readouterr().err
    outputs = sorted((root / "output").glob("*_timeseries.tsv"))
    assert len(outputs) == 8
    for tsv in outputs:
        sidecar = json.loads(tsv.with_suffix(".json").read_text())
        base = tsv.name.split("_space-")[0]
        assert sidecar["ConfoundsFile"].endswith(
            f"{base}_desc-confounds_regressors.tsv"
        )
        assert sidecar["ConfoundsPairedBy"] == "bids"
        assert (
            sidecar["ConfoundColumns"] == ["cosine00", "cosine01", "cosine02"] + MOTION
        )
        assert sidecar["ConfoundStrategy"]["name"] == "Params6"
        assert sidecar["DiscardedScans"] == 4 and sidecar["OutputVolumes"] == list(
            range(4, N)
        )
        assert sidecar["RepetitionTime"] == 2.0
        values = pd.read_csv(tsv, sep="\t")
        assert values.shape == (N - 4, 3)
        assert list(values.columns) == ["region1", "region2", "region2.1"]


def test_seed_config_pairs_each_image_with_its_own_confounds(fmriprep_tree):
    """Swapping two confounds files changes exactly the two matching outputs."""
    root, tables = fmriprep_tree
    first = extract_timeseries(config="config.json")
    files = {item.file: item for item in first.timeseries}
    a, b = sorted(files)[:2]
    conf_a = root / files[a].sidecar["ConfoundsFile"]
    conf_b = root / files[b].sidecar["ConfoundsFile"]
    data_a, data_b = conf_a.read_bytes(), conf_b.read_bytes()
    conf_a.write_bytes(data_b)
    conf_b.write_bytes(data_a)
    second = {
        item.file: item for item in extract_timeseries(config="config.json").timeseries
    }
    for image, item in files.items():
        changed = not np.allclose(item.data.to_numpy(), second[image].data.to_numpy())
        assert changed == (image in (a, b))


def test_config_carries_strategy_options(fmriprep_tree):
    root, _ = fmriprep_tree
    config = json.loads(SEED_CONFIG)
    config.update(
        regressors=["motion", "high_pass", "wm_csf", "scrub"],
        motion="basic",
        wm_csf="derivatives",
        fd_threshold=0.095,
        std_dvars_threshold=10,
        scrub=0,
        output_volumes="interpolated",
        discard_scans=None,
    )
    out = extract_timeseries(config=config)
    assert not out.failures
    censored = 0
    for item in out.timeseries:
        sidecar = item.sidecar
        assert sidecar["ConfoundStrategy"]["kind"] == "components"
        assert sidecar["ConfoundStrategy"]["load_confounds"]["fd_threshold"] == 0.095
        assert len(sidecar["ConfoundColumns"]) == 6 + 3 + 4
        assert item.volumes == list(range(N))  # interpolated: every volume
        assert sidecar["InterpolatedVolumes"] == sidecar["CensoredVolumes"]
        censored += len(sidecar["CensoredVolumes"])
    assert censored > 0
