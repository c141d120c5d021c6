"""Images pair with confound files by BIDS entities, whatever the listing order."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from niimasker_core.batch.plan import pair_confounds, plan_runs
from niimasker_core.errors import PairingError, UnusedOptionWarning
from niimasker_core.io.bids import match_confounds, pair_by_entities, parse_entities
from niimasker_core.params.options import RunOptions
from niimasker_core.params.settings import make_settings

SPACE = "space-MNI152NLin2009cAsym_res-2"


def touch(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return str(path)


def build_tree(root: Path) -> dict[str, str]:
    """fMRIPrep-like tree: 3 subjects, 2 sessions, runs, dir- and echo- entities.

    Returns image -> expected confounds file.
    """
    expected = {}
    for sub in ("01", "02", "10"):
        for ses in ("pre", "post"):
            func = root / f"sub-{sub}" / f"ses-{ses}" / "func"
            # sub-10 has the older fMRIPrep confounds name
            suffix = "regressors" if sub == "10" else "timeseries"
            for run in (1, 2, 10):
                base = f"sub-{sub}_ses-{ses}_task-rest_run-{run}"
                conf = touch(func / f"{base}_desc-confounds_{suffix}.tsv")
                for space in (SPACE, "space-T1w"):
                    expected[
                        touch(func / f"{base}_{space}_desc-preproc_bold.nii.gz")
                    ] = conf
            for direction in ("AP", "PA"):
                base = f"sub-{sub}_ses-{ses}_task-motor_dir-{direction}"
                conf = touch(func / f"{base}_desc-confounds_timeseries.tsv")
                expected[touch(func / f"{base}_{SPACE}_desc-preproc_bold.nii.gz")] = (
                    conf
                )
            # per-echo images share the run's confounds, which carry no echo entity
            base = f"sub-{sub}_ses-{ses}_task-me_acq-multi"
            conf = touch(func / f"{base}_desc-confounds_timeseries.tsv")
            for echo in (1, 2, 3):
                expected[
                    touch(
                        func / f"{base}_echo-{echo}_part-mag_desc-preproc_bold.nii.gz"
                    )
                ] = conf
    return expected


def test_parse_entities():
    name = (
        "sub-01_ses-2_task-rest_acq-fast_ce-gd_dir-AP_rec-x_run-3_echo-1_part-mag"
        "_space-MNI_desc-preproc_bold.nii.gz"
    )
    assert parse_entities(f"/a/b/{name}") == {
        "sub": "01",
        "ses": "2",
        "task": "rest",
        "acq": "fast",
        "ce": "gd",
        "dir": "AP",
        "rec": "x",
        "run": "3",
        "echo": "1",
        "part": "mag",
        "space": "MNI",
        "desc": "preproc",
    }
    assert parse_entities("img1.nii.gz") == {}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairing_by_entities_ignores_listing_order(tmp_path, seed):
    expected = build_tree(tmp_path)
    images = list(expected)
    confounds = sorted(set(expected.values()))
    shuffle = random.Random(seed)
    shuffle.shuffle(images)
    shuffle.shuffle(confounds)
    paired, rule = pair_confounds(images, confounds)
    assert rule == "bids"
    assert dict(zip(images, paired)) == expected


def test_plan_runs_with_patterns_pairs_every_run(tmp_path):
    expected = build_tree(tmp_path)
    settings = make_settings(
        input_files=str(tmp_path / "sub*/ses*/func/*preproc_bold.nii.gz"),
        regressor_files=str(tmp_path / "sub*/ses*/func/*confounds_*.tsv"),
        t_r=2.0,
    )
    plans = plan_runs(settings, RunOptions.from_settings(settings).confounds)
    assert {p.image: p.confounds for p in plans} == expected
    assert len({p.stem for p in plans}) == len(plans)
    # natural order: run-2 before run-10
    names = [
        Path(p.image).name
        for p in plans
        if "sub-01_ses-post_task-rest" in p.image and "T1w" in p.image
    ]
    assert [n.split("_")[3] for n in names] == ["run-1", "run-2", "run-10"]


def test_both_confounds_names_for_one_run_is_ambiguous(tmp_path):
    image = touch(tmp_path / f"sub-01_task-rest_{SPACE}_desc-preproc_bold.nii.gz")
    new = touch(tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv")
    old = touch(tmp_path / "sub-01_task-rest_desc-confounds_regressors.tsv")
    with pytest.raises(PairingError, match="more than one") as err:
        pair_by_entities([image], [new, old])
    assert image in str(err.value) and new in str(err.value) and old in str(err.value)


def test_image_without_match_names_image_and_candidates(tmp_path):
    ok = touch(tmp_path / "sub-01_task-rest_run-1_desc-preproc_bold.nii.gz")
    lost = touch(tmp_path / "sub-01_task-rest_run-2_desc-preproc_bold.nii.gz")
    conf = touch(tmp_path / "sub-01_task-rest_run-1_desc-confounds_timeseries.tsv")
    with pytest.raises(PairingError, match="no confounds file") as err:
        pair_confounds([ok, lost], [conf])
    message = str(err.value)
    assert lost in message and conf in message and "run-2" in message


def test_most_specific_match_wins(tmp_path):
    image = touch(tmp_path / "sub-01_ses-1_task-rest_run-1_desc-preproc_bold.nii.gz")
    general = touch(tmp_path / "sub-01_ses-1_task-rest_desc-confounds_timeseries.tsv")
    specific = touch(
        tmp_path / "sub-01_ses-1_task-rest_run-1_desc-confounds_timeseries.tsv"
    )
    other = touch(
        tmp_path / "sub-02_ses-1_task-rest_run-1_desc-confounds_timeseries.tsv"
    )
    assert match_confounds(image, [general, other, specific]) == [specific]


def test_unused_confounds_are_reported(tmp_path):
    image = touch(tmp_path / "sub-01_task-rest_desc-preproc_bold.nii.gz")
    conf = touch(tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv")
    spare = touch(tmp_path / "sub-02_task-rest_desc-confounds_timeseries.tsv")
    with pytest.warns(UnusedOptionWarning, match=re.escape(spare)):
        assert pair_confounds([image], [spare, conf]) == ([conf], "bids")


def test_non_bids_names_pair_by_natural_order(tmp_path):
    images = [touch(tmp_path / f"img{i}.nii.gz") for i in (1, 2, 10)]
    confounds = [touch(tmp_path / f"conf{i}.tsv") for i in (1, 2, 10)]
    settings = make_settings(
        input_files=str(tmp_path / "img*.nii.gz"),
        regressor_files=str(tmp_path / "conf*.tsv"),
        t_r=1.0,
    )
    plans = plan_runs(settings, RunOptions.from_settings(settings).confounds)
    assert [(p.image, p.confounds, p.pairing) for p in plans] == [
        (i, c, "order") for i, c in zip(images, confounds)
    ]
    with pytest.raises(PairingError, match="3 input image.*2 regressor file"):
        pair_confounds(images, confounds[:2])


def test_regressors_without_files_is_an_error(tmp_path):
    image = touch(tmp_path / "sub-01_task-rest_bold.nii.gz")
    with pytest.raises(Exception, match="no 'regressor_files'"):
        settings = make_settings(input_files=[image], regressors="Params6", t_r=2.0)
        plan_runs(settings, RunOptions.from_settings(settings).confounds)
