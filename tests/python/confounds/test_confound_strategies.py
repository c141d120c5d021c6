"""Named confound choices select what nilearn's load_confounds selects for the same file."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import run_options
from fmriprep_tree import fmriprep_table, write_confounds
from nilearn.interfaces.fmriprep import load_confounds, load_confounds_strategy

from niimasker_core.confounds.selection import load_confounds_for_image
from niimasker_core.confounds.strategies import PRESETS, resolve_spec
from niimasker_core.errors import ConfoundsError, SettingsError

N = 60
IMAGE = "sub-01_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
AROMA_IMAGE = (
    "sub-01_task-rest_space-MNI152NLin6Asym_desc-smoothAROMAnonaggr_bold.nii.gz"
)


@pytest.fixture
def fmriprep_dir(tmp_path, rng):
    table, meta = fmriprep_table(
        N, rng, non_steady=2, fd_spikes=(20, 40), dvars_spikes=(30,), aroma=3
    )
    func = tmp_path / "sub-01" / "func"
    path = write_confounds(
        func / "sub-01_task-rest_desc-confounds_timeseries.tsv", table, meta
    )
    return path


def ours(path, image=AROMA_IMAGE, **values):
    options = run_options({"input_files": ["x"], **values}).confounds
    return load_confounds_for_image(str(path), options, N, image=image)


def nilearn_loaded(path, loader, *args, **kwargs):
    aroma = "ica_aroma" in args or (
        "ica_aroma" in kwargs.get("strategy", ())
        and kwargs.get("ica_aroma", "full") == "full"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return loader(
            str(path.parent / (AROMA_IMAGE if aroma else IMAGE)), *args, **kwargs
        )


def assert_same(selection, confounds, sample_mask):
    assert selection.columns == list(confounds.columns)
    np.testing.assert_allclose(
        selection.values, confounds.to_numpy(), rtol=1e-10, atol=1e-12
    )
    if sample_mask is None:
        assert selection.sample_mask is None
    else:
        np.testing.assert_array_equal(selection.sample_mask, sample_mask)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_select_what_load_confounds_selects(fmriprep_dir, name):
    got = ours(fmriprep_dir, regressors=name)
    confounds, mask = nilearn_loaded(
        fmriprep_dir, load_confounds, **PRESETS[name], demean=True
    )
    assert_same(got, confounds, mask)


# Columns per preset as the original load_confounds package defined them
# (plus the 3 cosine regressors of 'high_pass').
PRESET_COUNTS = {
    "Params2": 2,
    "Params6": 6,
    "Params9": 9,
    "Params9Scrub": 8,
    "Params24": 24,
    "Params36": 36,
    "Params36Scrub": 32,
    "AnatCompCor": 24 + 3,
    "TempCompCor": 4,
}


@pytest.mark.parametrize("name", sorted(PRESET_COUNTS))
def test_preset_column_counts_follow_the_seed(fmriprep_dir, name):
    got = ours(fmriprep_dir, regressors=name.lower())  # names are case-insensitive
    assert (
        len([c for c in got.columns if not c.startswith("cosine")])
        == PRESET_COUNTS[name]
    )
    assert sum(c.startswith("cosine") for c in got.columns) == 3
    assert got.details["ConfoundStrategy"]["name"] == name


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        ("simple", {}),
        ("simple", {"motion": "basic", "global_signal": "full"}),
        ("scrubbing", {}),
        ("scrubbing", {"fd_threshold": 0.3, "std_dvars_threshold": 5.0, "scrub": 0}),
        ("compcor", {}),
        ("compcor", {"compcor": "anat_separated", "n_compcor": 1}),
        ("compcor", {"compcor": "temporal_anat_combined", "n_compcor": 2}),
        ("ica_aroma", {}),
    ],
)
def test_nilearn_strategies_match_load_confounds_strategy(
    fmriprep_dir, strategy, options
):
    got = ours(fmriprep_dir, regressors=strategy, **options)
    confounds, mask = nilearn_loaded(
        fmriprep_dir, load_confounds_strategy, strategy, **options
    )
    assert_same(got, confounds, mask)


@pytest.mark.parametrize(
    ("components", "options"),
    [
        (["motion", "wm_csf"], {"motion": "derivatives", "wm_csf": "power2"}),
        (["high_pass", "global_signal", "scrub"], {"fd_threshold": 0.5, "scrub": 0}),
        (["high_pass", "compcor"], {"compcor": "temporal", "n_compcor": "all"}),
        (["ica_aroma", "wm_csf"], {"ica_aroma": "basic"}),
        (["motion", "high_pass", "wm_csf", "global_signal"], {}),
    ],
)
def test_component_lists_match_load_confounds(fmriprep_dir, components, options):
    got = ours(fmriprep_dir, regressors=components, **options)
    confounds, mask = nilearn_loaded(
        fmriprep_dir, load_confounds, strategy=components, **options
    )
    assert_same(got, confounds, mask)


def test_works_on_any_file_name_and_csv(fmriprep_dir, tmp_path):
    expected = ours(fmriprep_dir, regressors="scrubbing")
    table = pd.read_csv(fmriprep_dir, sep="\t")
    odd = tmp_path / "my confounds (tsv copy).csv"
    table.to_csv(odd, index=False, na_rep="n/a")
    got = ours(odd, regressors="scrubbing")
    assert got.columns == expected.columns
    np.testing.assert_allclose(got.values, expected.values)
    np.testing.assert_array_equal(got.sample_mask, expected.sample_mask)


def test_compcor_needs_the_json_sidecar(fmriprep_dir):
    fmriprep_dir.with_suffix(".json").unlink()
    with pytest.raises(
        ConfoundsError, match=r"JSON sidecar.*desc-confounds_timeseries\.json"
    ):
        ours(fmriprep_dir, regressors="AnatCompCor")


def test_missing_columns_are_named(fmriprep_dir):
    table = pd.read_csv(fmriprep_dir, sep="\t").drop(
        columns=["std_dvars", "csf_power2"]
    )
    table.to_csv(fmriprep_dir, sep="\t", index=False, na_rep="n/a")
    with pytest.raises(ConfoundsError, match="std_dvars") as err:
        ours(fmriprep_dir, regressors="scrubbing")
    assert "csf_power2" in str(err.value)
    with pytest.raises(ConfoundsError, match="'nope_\\*'"):
        ours(fmriprep_dir, regressors=["trans_x", "nope_*"])


def test_wildcards_and_outlier_columns(fmriprep_dir):
    with pytest.warns(UserWarning, match="discard_scans='auto'"):
        got = ours(
            fmriprep_dir, regressors=["a_comp_cor_*", "cosine*", "non_steady_state*"]
        )
    # named columns are regressed as given, one-hot ones too, for every volume:
    # what NiftiLabelsMasker(confounds=those columns) does
    assert got.columns == [f"a_comp_cor_{k:02d}" for k in range(6)] + [
        "cosine00",
        "cosine01",
        "cosine02",
        "non_steady_state_outlier00",
        "non_steady_state_outlier01",
    ]
    assert got.sample_mask is None and got.discard == 0
    assert got.details["NonSteadyStateVolumes"] == [0, 1]


def test_named_columns_with_discard_scans_auto(fmriprep_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the flagged volumes are dropped: no warning
        got = ours(fmriprep_dir, regressors=["trans_x"], discard_scans="auto")
    assert got.discard == 2 and got.sample_mask is None


def test_strategies_keep_censoring_non_steady_state(fmriprep_dir):
    got = ours(fmriprep_dir, regressors="simple")
    assert got.discard == 0 and got.sample_mask[:2].tolist() == [2, 3]


def test_first_row_na_filled_other_na_rejected(fmriprep_dir):
    got = ours(fmriprep_dir, regressors=["trans_x_derivative1"], demean=False)
    table = pd.read_csv(fmriprep_dir, sep="\t")
    assert got.values[0, 0] == table["trans_x_derivative1"].iloc[1]
    table.loc[10, "trans_x_derivative1"] = np.nan
    table.to_csv(fmriprep_dir, sep="\t", index=False, na_rep="n/a")
    with pytest.raises(ConfoundsError, match="n/a.*trans_x_derivative1"):
        ours(fmriprep_dir, regressors=["trans_x_derivative1"])
    with pytest.raises(ConfoundsError, match="n/a.*trans_x_derivative1"):
        ours(fmriprep_dir, regressors="Params24")


def test_column_scrubbing_with_thresholds(fmriprep_dir):
    with pytest.warns(UserWarning, match="non-steady-state"):
        got = ours(fmriprep_dir, regressors=["trans_*"], fd_threshold=0.5, scrub=0)
    assert set(np.setdiff1d(np.arange(N), got.sample_mask)) == {20, 40}
    assert got.details["ConfoundStrategy"]["scrubbing"]["fd_threshold"] == 0.5


def test_demean_uses_kept_volumes_after_discard(fmriprep_dir):
    got = ours(fmriprep_dir, regressors="Params6", discard_scans=5)
    kept = got.sample_mask[got.sample_mask >= 5]
    assert np.abs(got.values[kept].mean(axis=0)).max() < 1e-12
    assert got.details["ConfoundsDemeaned"] is True


def test_named_columns_are_never_demeaned(fmriprep_dir):
    got = ours(fmriprep_dir, regressors=["trans_x"], discard_scans=5)
    table = pd.read_csv(fmriprep_dir, sep="\t")
    np.testing.assert_array_equal(got.values[:, 0], table["trans_x"].to_numpy())
    assert got.details["ConfoundsDemeaned"] is False


def test_too_few_volumes_is_an_error(fmriprep_dir):
    with pytest.raises(ConfoundsError, match="too few"):
        ours(fmriprep_dir, regressors="Params36", discard_scans=N - 30)


def test_full_ica_aroma_needs_the_aroma_image(fmriprep_dir):
    with pytest.raises(ConfoundsError, match="AROMAnonaggr"):
        ours(fmriprep_dir, image=IMAGE, regressors="ica_aroma")


def test_spec_errors_and_unused_options():
    with pytest.raises(SettingsError, match="high_pass"):
        resolve_spec(
            run_options(input_files=["x"], regressors=["compcor", "motion"]).confounds
        )
    spec = resolve_spec(
        run_options(
            input_files=["x"], regressors="Params6", compcor="temporal"
        ).confounds
    )
    assert spec.unused == ("compcor",)
    assert (
        resolve_spec(
            run_options(input_files=["x"], regressors=["csf", "motion"]).confounds
        ).kind
        == "columns"
    )


def test_command_line_options_reach_the_sidecar(fmriprep_dir, tmp_path, rng):
    from fmriprep_tree import write_atlas, write_bold

    from niimasker_core.faces.cli import main

    image = write_bold(fmriprep_dir.parent / IMAGE, rng, N, sidecar_t_r=2.0)
    atlas = write_atlas(tmp_path / "atlas.nii.gz", rng)
    out = tmp_path / "out"
    code = main(
        [
            str(out),
            "-i",
            str(image),
            "-r",
            str(atlas),
            "--regressor_files",
            str(fmriprep_dir),
            "--regressors",
            "compcor",
            "--compcor",
            "temporal_anat_separated",
            "--n_compcor",
            "1",
            "--global_signal",
            "basic",
            "--demean",
            "false",
            "--high_pass",
            "0.01",
        ]
    )
    assert code == 0
    import json

    sidecar = json.loads(
        (out / IMAGE.replace(".nii.gz", "_timeseries.json")).read_text()
    )
    assert sidecar["ConfoundColumns"] == list(
        nilearn_loaded(
            fmriprep_dir,
            load_confounds_strategy,
            "compcor",
            compcor="temporal_anat_separated",
            n_compcor=1,
            global_signal="basic",
        )[0].columns
    )
    # separated: the first WM and the first CSF component, not the combined-mask ones
    assert {"t_comp_cor_00", "a_comp_cor_03", "a_comp_cor_05", "global_signal"} <= set(
        sidecar["ConfoundColumns"]
    )
    assert "a_comp_cor_00" not in sidecar["ConfoundColumns"]
    assert sidecar["RepetitionTimeSource"] == "sidecar"
    assert (
        sidecar["ConfoundsDemeaned"] is False and sidecar["Cleaning"]["n_compcor"] == 1
    )
    with pytest.raises(SystemExit) as usage:
        main([str(out), "-i", str(image), "-r", str(atlas), "--motion", "bad"])
    assert usage.value.code == 2
