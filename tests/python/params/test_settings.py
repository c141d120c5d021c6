"""Settings: every parameter's coercion and validation, in one place."""

from __future__ import annotations

import pytest

from niimasker_core.errors import ConfigError, SettingsError
from niimasker_core.params.declarations import PARAMETERS
from niimasker_core.params.settings import Settings, make_settings


def test_defaults_are_valid_and_frozen():
    settings = make_settings()
    assert isinstance(settings, Settings)
    assert settings.standardize is False
    assert settings.discard_scans == 0
    assert settings.n_jobs == 1
    with pytest.raises(AttributeError):
        settings.t_r = 3.0  # type: ignore[misc]


def test_every_parameter_has_one_name_and_help():
    names = [p.name for p in PARAMETERS]
    assert len(names) == len(set(names))
    assert all(p.help for p in PARAMETERS)
    for name in ("input_files", "roi_file", "mask_img", "labels", "regressor_files",
                 "regressors", "as_voxels", "radius", "allow_overlap", "standardize",
                 "t_r", "high_pass", "low_pass", "detrend", "smoothing_fwhm",
                 "discard_scans", "n_jobs"):  # fmt: skip
        assert name in names


@pytest.mark.parametrize("t_r", [0.72, "0.72", 2, 1.5])
def test_t_r_takes_any_positive_number(t_r):
    assert make_settings(t_r=t_r).t_r == pytest.approx(float(t_r))


@pytest.mark.parametrize("t_r", [0, -2, "fast", True, float("nan"), float("inf")])
def test_t_r_must_be_positive(t_r):
    with pytest.raises(SettingsError, match=r"'t_r' must be .*Got t_r="):
        make_settings(t_r=t_r)


@pytest.mark.parametrize(
    "high_pass,low_pass", [(0.1, 0.1), (0.2, 0.1)], ids=["equal", "above"]
)
def test_high_pass_must_be_below_low_pass(high_pass, low_pass):
    with pytest.raises(
        SettingsError, match="'high_pass' must be lower than 'low_pass'"
    ):
        make_settings(high_pass=high_pass, low_pass=low_pass, t_r=1.0)


def test_filter_within_nyquist():
    make_settings(high_pass=0.01, low_pass=0.24, t_r=2.0)
    with pytest.raises(
        SettingsError, match=r"'low_pass' must be below the Nyquist frequency 0.25"
    ):
        make_settings(low_pass=0.25, t_r=2.0)
    with pytest.raises(SettingsError, match="'high_pass' must be below the Nyquist"):
        make_settings(high_pass=0.7, t_r=0.72 * 2)


@pytest.mark.parametrize(
    "given,expected",
    [
        (True, "zscore"),
        ("zscore", "zscore"),
        ("zscore_sample", "zscore_sample"),
        ("psc", "psc"),
        (False, None),
        ("true", "zscore"),
    ],  # fmt: skip
)
def test_standardize_methods(given, expected):
    assert make_settings(standardize=given).standardize_method == expected


def test_standardize_rejects_unknown_methods():
    with pytest.raises(SettingsError, match="'standardize'"):
        make_settings(standardize="minmax")


@pytest.mark.parametrize("name", ["discard_scans", "n_jobs"])
def test_counts_must_be_whole_numbers(name):
    with pytest.raises(SettingsError, match=f"'{name}' must be a whole number"):
        make_settings(**{name: 1.5})
    with pytest.raises(SettingsError, match=f"'{name}'"):
        make_settings(**{name: -3})
    assert getattr(make_settings(**{name: 2.0}), name) == 2


@pytest.mark.parametrize("n_jobs", [0, "0", 0.0])
def test_n_jobs_zero_is_refused_with_the_choices(n_jobs):
    # joblib refuses n_jobs=0; it used to mean 1 here, silently (issue 21).
    with pytest.raises(
        SettingsError, match=r"'n_jobs' must be a whole number >= 1, or -1"
    ):
        make_settings(n_jobs=n_jobs)
    assert make_settings(n_jobs=-1).n_jobs == -1


def test_unknown_key_names_the_valid_ones():
    with pytest.raises(
        SettingsError, match=r"Unknown parameter\(s\): tr\b.*Valid names"
    ):
        make_settings({"tr": 2})


@pytest.mark.parametrize("name", ["radius", "smoothing_fwhm"])
def test_positive_lengths(name):
    with pytest.raises(SettingsError, match=f"'{name}'"):
        make_settings(**{name: "wide"})


def test_sphere_size_is_an_alias_of_radius():
    assert make_settings({"sphere_size": 6}).radius == 6.0


def test_regressor_names_is_a_deprecated_alias():
    with pytest.warns(FutureWarning, match="'regressor_names' is deprecated"):
        settings = make_settings({"regressor_names": ["csf"]})
    assert settings.regressors == ("csf",)


def test_lists_accept_one_string():
    settings = make_settings(input_files="sub-*_bold.nii.gz", regressors="csf")
    assert settings.input_files == ("sub-*_bold.nii.gz",)
    assert settings.regressors == ("csf",)


def test_config_errors_are_config_errors(tmp_path):
    from niimasker_core.params.config import load_config

    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(str(bad))
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"t_r": 2, "smoothing": 3}')
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(str(unknown))


@pytest.mark.parametrize(
    "given,expected",
    [
        ("gm.nii.gz", "gm.nii.gz"),
        (["gm.nii.gz"], "gm.nii.gz"),  # the command's one -m
        ("fine=gm.nii.gz", {"fine": "gm.nii.gz"}),
        ({"fine": "gm.nii.gz", "seeds": None}, {"fine": "gm.nii.gz", "seeds": None}),
        (["fine=gm.nii.gz", "seeds=b.nii"], {"fine": "gm.nii.gz", "seeds": "b.nii"}),
        ({}, None),
    ],
)
def test_mask_img_is_one_path_or_one_per_roi_set(given, expected):
    settings = make_settings(roi_file=["a.nii.gz", "b.tsv"], mask_img=given)
    assert settings.mask_img == expected


@pytest.mark.parametrize(
    "given,expected",
    [
        (["a", "b"], ("a", "b")),
        ("names.tsv", "names.tsv"),
        (["x=1", "y=2"], ("x=1", "y=2")),  # region names, not tables: one set's names
        (
            {"fine": ["a", "b"], "seeds": "s.tsv"},
            {"fine": ("a", "b"), "seeds": "s.tsv"},
        ),
        (["fine=f.tsv", "seeds=s.csv"], {"fine": "f.tsv", "seeds": "s.csv"}),
        ("fine=f.tsv", {"fine": "f.tsv"}),
        ("x=1", ("x=1",)),
    ],
)
def test_labels_are_one_sets_names_or_one_per_roi_set(given, expected):
    assert make_settings(roi_file="a.nii.gz", labels=given).labels == expected


def test_an_existing_file_with_an_equals_sign_is_one_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run=1.nii.gz").write_bytes(b"")
    assert make_settings(roi_file="a.nii.gz", mask_img=["run=1.nii.gz"]).mask_img == (
        "run=1.nii.gz"
    )


@pytest.mark.parametrize(
    "name,given,match",
    [
        ("mask_img", ["gm.nii.gz", "seeds=b.nii"], "mixes values per ROI set"),
        ("labels", ["fine=f.tsv", "g.tsv"], "mixes values per ROI set"),
        ("mask_img", ["a=x.nii", "a=y.nii"], "'a' is given twice"),
        ("mask_img", {"not a name": "x.nii"}, "keyed by ROI set names"),
        ("mask_img", {"fine": 3}, "one file path"),
        ("labels", {"fine": {"a": "b"}}, "a list of names"),
        ("mask_img", ["a.nii", "b.nii"], "one file path"),
    ],
)
def test_per_set_values_are_checked(name, given, match):
    with pytest.raises(SettingsError, match=match):
        make_settings(roi_file=["a.nii.gz", "b.tsv"], **{name: given})


def test_per_set_values_are_plain_in_to_dict():
    settings = make_settings(roi_file="a.nii.gz", labels={"a": ["x", "y"]})
    assert settings.to_dict()["labels"] == {"a": ["x", "y"]}
