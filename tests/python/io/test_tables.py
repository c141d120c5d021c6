"""The shared reader of user tables (confounds, labels, coordinates)."""

from __future__ import annotations

import numpy as np
import pytest

from niimasker_core.errors import ConfoundsError, ImageNotFoundError, LabelsError
from niimasker_core.io.tables import read_user_table


def test_tsv_missing_values_become_nan(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("a\tb\nn/a\t1\n2\t3\n")
    table = read_user_table(str(path), what="confounds file", error=ConfoundsError)
    assert np.isnan(table["a"][0]) and table["b"].tolist() == [1, 3]


def test_csv_by_extension_and_text_kept(tmp_path):
    path = tmp_path / "labels.CSV"
    path.write_text("index,name\n1,n/a\n2,b\n")
    table = read_user_table(
        str(path), what="'labels' file", error=LabelsError, as_text=True
    )
    assert table["name"].tolist() == ["n/a", "b"]
    assert table["index"].tolist() == ["1", "2"]


def test_missing_file_names_the_role(tmp_path):
    with pytest.raises(
        ImageNotFoundError, match="confounds file was not found: '.*nope.tsv'"
    ):
        read_user_table(
            str(tmp_path / "nope.tsv"), what="confounds file", error=ConfoundsError
        )


def test_unparsable_file_raises_the_given_class(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"a\tb\n1\t2\n1\t2\t3\t4\n")  # a ragged row
    with pytest.raises(ConfoundsError, match="Cannot read the confounds file"):
        read_user_table(str(path), what="confounds file", error=ConfoundsError)
