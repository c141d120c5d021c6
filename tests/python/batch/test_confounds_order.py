"""When the confounds table is read: after the stream when ``discard_scans`` is fixed.

A fixed count needs nothing from the table before the image is read, so the
table (and pandas) load while the image streams; ``"auto"`` reads it first.
Either way the numbers are the same.
"""

from __future__ import annotations

import numpy as np
import pytest
from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds

from niimasker_core.batch import image as image_module
from niimasker_core.errors import ConfoundsError
from niimasker_core.faces.api import extract_timeseries

N = 40
SETTINGS = {"regressors": ["trans_x", "rot_z", "csf"], "detrend": True}


@pytest.fixture
def inputs(tmp_path, rng):
    bold = write_bold(tmp_path / "sub-01_task-rest_bold.nii.gz", rng, N)
    atlas = write_atlas(tmp_path / "atlas.nii.gz", rng)
    table, meta = fmriprep_table(N, rng, non_steady=2)
    confounds = write_confounds(
        tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv", table, meta
    )
    return str(bold), str(atlas), str(confounds)


def _steps(monkeypatch) -> list[str]:
    steps: list[str] = []
    for name, step in (("extract", "stream"), ("align_confounds", "table")):
        real = getattr(image_module, name)

        def spy(*args, _real=real, _step=step, **kwargs):
            steps.append(_step)
            return _real(*args, **kwargs)

        monkeypatch.setattr(image_module, name, spy)
    return steps


@pytest.mark.parametrize(
    ("discard", "order"), [(2, ["stream", "table"]), ("auto", ["table", "stream"])]
)
def test_table_is_read_after_the_stream_only_for_a_fixed_count(
    inputs, monkeypatch, discard, order
):
    bold, atlas, confounds = inputs
    steps = _steps(monkeypatch)
    extract_timeseries(
        [bold], atlas, regressor_files=[confounds], discard_scans=discard, **SETTINGS
    )
    assert steps == order


def test_fixed_and_auto_give_the_same_numbers(inputs):
    bold, atlas, confounds = inputs
    tables = [
        extract_timeseries(
            [bold], atlas, regressor_files=[confounds], discard_scans=d, **SETTINGS
        )
        .timeseries[0]
        .data.to_numpy()
        for d in (2, "auto")
    ]
    assert tables[0].shape[0] == N - 2
    np.testing.assert_array_equal(tables[0], tables[1])


def test_a_table_read_after_the_stream_still_fails_the_image(inputs, tmp_path):
    bold, atlas, confounds = inputs
    short = tmp_path / "short_desc-confounds_timeseries.tsv"
    lines = open(confounds).read().splitlines()
    short.write_text("\n".join(lines[:-5]) + "\n")
    with pytest.raises(ConfoundsError, match="rows|volumes"):
        extract_timeseries(
            [bold], atlas, regressor_files=[str(short)], discard_scans=0, **SETTINGS
        )
