"""Oracle: scrubbing and dropped scans give what nilearn gives with the same sample_mask."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds
from nilearn import signal
from nilearn.image import index_img
from nilearn.interfaces.fmriprep import load_confounds_strategy
from nilearn.maskers import NiftiLabelsMasker

from niimasker_core.confounds.scrubbing import interpolate_censored
from niimasker_core.errors import ConfoundsError
from niimasker_core.faces.api import extract_timeseries

N = 100
CLEANING = {
    "detrend": True,
    "standardize": "zscore_sample",
    "high_pass": 0.01,
    "t_r": 2.0,
}


@pytest.fixture
def bold_file(tmp_path, rng):
    return write_bold(tmp_path / "sub-01_task-rest_bold.nii.gz", rng, N)


@pytest.fixture
def atlas_file(tmp_path, rng):
    return write_atlas(tmp_path / "atlas.nii.gz", rng)


@pytest.fixture
def confounds_tsv(tmp_path, rng, bold_file):
    table, meta = fmriprep_table(
        N, rng, non_steady=2, fd_spikes=(12, 25, 60), dvars_spikes=(33,)
    )
    return write_confounds(
        tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv", table, meta
    )


def nilearn_strategy(confounds_tsv, strategy, **options):
    """nilearn's confounds and sample mask for the same file, found its own way."""
    copy = confounds_tsv.parent / "nilearn" / confounds_tsv.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(confounds_tsv.read_bytes())
    copy.with_suffix(".json").write_bytes(
        confounds_tsv.with_suffix(".json").read_bytes()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_confounds_strategy(
            str(copy.parent / "sub-01_task-rest_desc-preproc_bold.nii.gz"),
            strategy,
            **options,
        )


def nilearn_masker(bold, atlas, confounds, sample_mask, discard=0, **cleaning):
    img = index_img(str(bold), slice(discard, None)) if discard else str(bold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masker = NiftiLabelsMasker(str(atlas), **cleaning)
        return masker.fit_transform(img, confounds=confounds, sample_mask=sample_mask)


def ours(bold, atlas, confounds_tsv, **settings):
    out = extract_timeseries(
        [str(bold)], str(atlas), regressor_files=[str(confounds_tsv)], **settings
    )
    item = out.timeseries[0]
    return item.data.to_numpy(), item


def assert_close(got, expected):
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )


@pytest.mark.parametrize("options", [{}, {"fd_threshold": 0.3, "scrub": 0}])
def test_scrubbing_strategy_equals_nilearn_masker(
    bold_file, atlas_file, confounds_tsv, options
):
    confounds, mask = nilearn_strategy(confounds_tsv, "scrubbing", **options)
    assert mask is not None and len(mask) < N
    expected = nilearn_masker(bold_file, atlas_file, confounds, mask, **CLEANING)
    got, item = ours(
        bold_file,
        atlas_file,
        confounds_tsv,
        regressors="scrubbing",
        **options,
        **CLEANING,
    )
    assert_close(got, expected)
    assert item.volumes == [int(v) for v in mask]
    assert item.sidecar["CensoredVolumes"] == sorted(set(range(N)) - set(mask.tolist()))
    assert item.sidecar["ConfoundColumns"] == list(confounds.columns)


def test_discard_scans_with_scrubbing_equals_nilearn(
    bold_file, atlas_file, confounds_tsv
):
    confounds, mask = nilearn_strategy(confounds_tsv, "scrubbing", scrub=0)
    discard = 3
    expected = nilearn_masker(
        bold_file,
        atlas_file,
        confounds.iloc[discard:].to_numpy(),
        mask[mask >= discard] - discard,
        discard=discard,
        **CLEANING,
    )
    got, item = ours(
        bold_file,
        atlas_file,
        confounds_tsv,
        regressors="scrubbing",
        scrub=0,
        discard_scans=discard,
        **CLEANING,
    )
    assert_close(got, expected)
    assert item.sidecar["DiscardedScans"] == discard
    assert item.volumes[0] >= discard


def test_column_scrubbing_equals_signal_clean(bold_file, atlas_file, confounds_tsv):
    columns = ["trans_x", "trans_y", "rot_z", "csf", "white_matter"]
    raw = (
        extract_timeseries([str(bold_file)], str(atlas_file))
        .timeseries[0]
        .data.to_numpy()
    )
    got, item = ours(
        bold_file,
        atlas_file,
        confounds_tsv,
        regressors=columns,
        fd_threshold=0.5,
        scrub=0,
        low_pass=0.2,
        **CLEANING,
    )
    import pandas as pd

    table = pd.read_csv(confounds_tsv, sep="\t")
    mask = np.setdiff1d(np.arange(N), [12, 25, 60])  # FD spikes; named columns
    expected = signal.clean(
        raw,
        confounds=table[columns].to_numpy(),
        sample_mask=mask,
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.01,
        low_pass=0.2,
        t_r=2.0,
    )
    assert_close(got, expected)
    assert item.sidecar["NumberOfCensoredVolumes"] == 3


def test_interpolated_output_keeps_every_volume(bold_file, atlas_file, confounds_tsv):
    censored, item_c = ours(
        bold_file, atlas_file, confounds_tsv, regressors="scrubbing", **CLEANING
    )
    full, item_i = ours(
        bold_file,
        atlas_file,
        confounds_tsv,
        regressors="scrubbing",
        output_volumes="interpolated",
        **CLEANING,
    )
    kept = np.array(item_c.volumes)
    assert item_i.volumes == list(range(N))
    np.testing.assert_allclose(full[kept], censored)
    marked = item_i.sidecar["InterpolatedVolumes"]
    assert marked == sorted(set(range(N)) - set(kept.tolist()))
    inside = [v for v in marked if kept[0] < v < kept[-1]]
    assert inside and np.isfinite(full[inside]).all()
    assert np.isnan(full[[v for v in marked if v < kept[0]]]).all()  # no extrapolation


def test_interpolate_censored_is_the_cubic_spline():
    t = np.arange(10, dtype=float)
    cleaned = np.c_[t**2, 3 * t][[0, 1, 2, 4, 5, 7, 8, 9]]
    out = interpolate_censored(cleaned, np.array([0, 1, 2, 4, 5, 7, 8, 9]), 10)
    np.testing.assert_allclose(out[[3, 6]], [[9.0, 9.0], [36.0, 18.0]])


def test_scrub_preset_sidecar_and_outputs(
    bold_file, atlas_file, confounds_tsv, tmp_path
):
    out = tmp_path / "out"
    extract_timeseries(
        [str(bold_file)],
        str(atlas_file),
        str(out),
        regressor_files=[str(confounds_tsv)],
        regressors="Params36Scrub",
        **CLEANING,
    )
    sidecar = json.loads((out / "sub-01_task-rest_bold_timeseries.json").read_text())
    assert sidecar["ConfoundStrategy"]["name"] == "Params36Scrub"
    assert sidecar["ConfoundStrategy"]["load_confounds"]["fd_threshold"] == 0.2
    assert sidecar["NonSteadyStateVolumes"] == [0, 1]
    assert {0, 1, 12, 25, 33, 60} <= set(sidecar["CensoredVolumes"])
    assert sidecar["MeanFramewiseDisplacement"] > 0
    assert sidecar["RepetitionTime"] == 2.0 and sidecar["Cleaning"]["high_pass"] == 0.01
    assert sidecar["ConfoundsFile"] == str(confounds_tsv)


def test_too_few_volumes_left_is_an_error(bold_file, atlas_file, confounds_tsv):
    with pytest.raises(ConfoundsError, match="too few"):
        ours(
            bold_file,
            atlas_file,
            confounds_tsv,
            regressors="Params36",
            discard_scans=N - 40,
            **CLEANING,
        )


@pytest.mark.parametrize("regressors", [["scrub"], ["non_steady_state"]])
def test_censoring_without_regressors_equals_nilearn(
    bold_file, atlas_file, confounds_tsv, regressors
):
    scrubbing = regressors == ["scrub"]
    mask = np.setdiff1d(np.arange(N), [0, 1, 12, 25, 33, 60] if scrubbing else [0, 1])
    expected = nilearn_masker(bold_file, atlas_file, None, mask, **CLEANING)
    options = (
        {"fd_threshold": 0.5, "std_dvars_threshold": 1.5, "scrub": 0}
        if scrubbing
        else {}
    )
    got, item = ours(
        bold_file,
        atlas_file,
        confounds_tsv,
        regressors=regressors,
        **options,
        **CLEANING,
    )
    assert_close(got, expected)
    assert item.sidecar["ConfoundColumns"] == []
    assert item.volumes == mask.tolist()
