"""nilearn's load_confounds for name-only components, without importing nilearn.

Every preset but the Scrub and CompCor ones (and nilearn's ``simple``)
chooses columns by name alone; ``strategies._select_by_name`` does nilearn
0.14's steps for them, so a run with ``--regressors Params6`` no longer
imports nilearn (and scikit-learn, ~1.2 s a process). Each case here is
compared bit for bit with nilearn's own ``load_confounds`` on the same file.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fmriprep_tree import fmriprep_table, write_confounds

from niimasker_core.confounds import strategies
from niimasker_core.confounds.strategies import PRESETS

N = 40
BY_NAME = sorted(
    n for n, p in PRESETS.items() if set(p["strategy"]) <= strategies._BY_NAME
)


def _nilearn(path, params, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(strategies, "_select_by_name", lambda *args: None)
        return strategies.load_with_nilearn(
            str(path), pd.read_csv(path, sep="\t"), params
        )


def _file(tmp_path, rng, **kwargs) -> tuple:
    table, meta = fmriprep_table(N, rng, **kwargs)
    path = write_confounds(
        tmp_path / "sub-01_desc-confounds_timeseries.tsv", table, meta
    )
    return path, table


CASES = [
    *[(PRESETS[name], {"non_steady": 2}) for name in BY_NAME],
    *[(PRESETS[name], {}) for name in ("Params6", "Params36")],  # no outlier columns
    ({"strategy": ("motion",), "motion": "derivatives"}, {"non_steady": 1}),
    (
        {
            "strategy": ("wm_csf", "global_signal"),
            "wm_csf": "power2",
            "global_signal": "full",
        },
        {},
    ),  # fmt: skip
    ({"strategy": ("high_pass",)}, {"non_steady": 3}),  # censoring and cosines only
    (
        {
            **{
                k: v
                for k, v in strategies.NILEARN_PRESETS["simple"].items()
                if k != "demean"
            },
        },
        {"non_steady": 2},
    ),  # nilearn's 'simple'
]


@pytest.mark.parametrize(("params", "table_kwargs"), CASES)
def test_selection_is_nilearns_bit_for_bit(
    tmp_path, rng, monkeypatch, params, table_kwargs
):
    path, _ = _file(tmp_path, rng, **table_kwargs)
    ours = strategies._select_by_name(str(path), params)
    assert ours is not None
    confounds, mask = ours
    expected, expected_mask = _nilearn(path, params, monkeypatch)
    assert list(confounds.columns) == list(expected.columns)
    np.testing.assert_array_equal(confounds.to_numpy(), expected.to_numpy())
    if expected_mask is None:
        assert mask is None
    else:
        np.testing.assert_array_equal(mask, expected_mask)


def test_other_components_and_refused_files_go_to_nilearn(tmp_path, rng):
    path, table = _file(tmp_path, rng)
    for name in ("Params9Scrub", "AnatCompCor", "TempCompCor"):
        assert strategies._select_by_name(str(path), PRESETS[name]) is None
    given = {"strategy": ("motion", "non_steady_state"), "motion": "basic"}
    assert strategies._select_by_name(str(path), given) is None  # nilearn warns
    partial = tmp_path / "partial.tsv"  # nilearn names the missing derivatives
    table.drop(columns=["rot_z_derivative1"]).to_csv(partial, sep="\t", index=False)
    assert strategies._select_by_name(str(partial), PRESETS["Params24"]) is None
    camel = tmp_path / "camel.tsv"  # fMRIPrep < 1.2: nilearn refuses it
    table.rename(columns={"csf": "CSF", "global_signal": "GlobalSignal"}).to_csv(
        camel, sep="\t", index=False
    )
    assert strategies._select_by_name(str(camel), PRESETS["Params6"]) is None


_RUN = """
import sys
from niimasker_core.confounds.strategies import PRESETS, load_with_nilearn
import pandas as pd
confounds, mask = load_with_nilearn(sys.argv[1], pd.read_csv(sys.argv[1], sep="\\t"),
                                    PRESETS[sys.argv[2]])
print(len(confounds.columns), "nilearn" in sys.modules, "sklearn" in sys.modules)
"""


@pytest.mark.parametrize(("name", "expected"), [("Params6", "9 False False"),
                                                ("TempCompCor", None)])  # fmt: skip
def test_a_params_preset_imports_no_nilearn(tmp_path, rng, name, expected):
    path, _ = _file(tmp_path, rng, non_steady=1)
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), name],
        capture_output=True,
        text=True,
        check=True,
    )
    if expected is None:  # CompCor: still nilearn's
        assert done.stdout.split()[1:] == ["True", "True"]
    else:
        assert done.stdout.strip() == expected


def test_nilearns_strategies_are_copied_exactly():
    from nilearn.interfaces.fmriprep.load_confounds_strategy import preset_strategies

    assert strategies.NILEARN_PRESETS == preset_strategies
