"""Output writers: exact tables, n/a for NaN, and nothing half-written."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from niimasker_core.errors import OutputError
from niimasker_core.io.writers import atomic_path, write_json, write_nifti, write_table


def test_table_round_trips_float32_exactly(tmp_path, rng):
    values = rng.normal(size=(6, 3)).astype(np.float32)
    values[2, 1] = np.nan
    path = write_table(tmp_path / "t.tsv", values, ["a", "b c", "2"])
    lines = path.read_text().splitlines()
    assert lines[0] == "a\tb c\t2"  # header, no index column
    assert lines[3].split("\t")[1] == "n/a"
    back = pd.read_csv(path, sep="\t", na_values="n/a").to_numpy()
    np.testing.assert_array_equal(back.astype(np.float32), values)


def test_table_keeps_float64_to_nine_digits(tmp_path):
    values = np.array([[1 / 3, 2e-12], [-123456.789012, 0.0]])
    back = pd.read_csv(
        write_table(tmp_path / "t.tsv", values, ["x", "y"]), sep="\t"
    ).to_numpy()
    np.testing.assert_allclose(back, values, rtol=1e-8)


def test_json_converts_numpy(tmp_path):
    path = write_json(
        tmp_path / "d" / "p.json", {"a": np.float32(1.5), "b": np.arange(3)}
    )
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2]}


def test_nifti_is_written(tmp_path, affine):
    img = nib.Nifti1Image(np.zeros((2, 3, 4), dtype=np.int16), affine)
    path = write_nifti(tmp_path / "x.nii.gz", img)
    assert nib.load(str(path)).shape == (2, 3, 4)


def test_failure_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "t.tsv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tsv"]


def test_unwritable_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="Cannot write"):
        write_table(blocker / "t.tsv", np.zeros((1, 1)), ["a"])


def test_outputs_follow_the_umask_not_0600(tmp_path):
    import os
    import stat

    import numpy as np

    from niimasker_core.io.writers import write_table

    old = os.umask(0o022)
    try:
        path = write_table(tmp_path / "t.tsv", np.zeros((2, 2)), ["a", "b"])
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["t.tsv"]  # no temporary file left
