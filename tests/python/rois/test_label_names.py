"""Region names: never silently shifted, never a malformed table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiLabelsMasker

from niimasker_core.errors import LabelsError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.rois.label_names import resolve_region_names


def test_background_first_with_one_name_per_region_is_an_error():
    # nilearn 0.14 names label 0 'Background' here and pads the last region with
    # 'unknown' (with a warning); taking the list as given shifts every name.
    with pytest.raises(LabelsError, match="3 names for the 3 regions") as err:
        resolve_region_names(["Background", "A", "B"], [1, 6, 10], "atlas.nii.gz")
    assert "'Background'" in str(err.value) and "4 names" in str(err.value)


def test_nilearn_reads_that_list_differently(tmp_path):
    """The reason for the error above, checked on the installed nilearn."""
    import nibabel as nib

    labels = np.zeros((5, 5, 5), np.int16)
    labels[:2], labels[2:3], labels[3:4] = 1, 6, 10
    atlas = nib.Nifti1Image(labels, np.eye(4))
    data = nib.Nifti1Image(np.random.default_rng(0).random((5, 5, 5, 4)), np.eye(4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        masker = NiftiLabelsMasker(atlas, labels=["Background", "A", "B"])
        masker.fit_transform(data)
    assert list(masker.region_names_.values()) == ["A", "B", "unknown"]
    assert any("unknown" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        (["Background", "A", "B", "C"], ["A", "B", "C"]),
        (["A", "B", "C"], ["A", "B", "C"]),
        (["Background"], ["Background"]),  # one region: a name, not a shift
    ],
)
def test_unambiguous_lists_are_taken(labels, names):
    ids = [1, 6, 10][: len(names)]
    assert resolve_region_names(labels, ids, "atlas.nii.gz") == (ids, names)


def test_count_mismatch_names_both_counts():
    with pytest.raises(LabelsError, match="has 2 names but .* has 3 regions"):
        resolve_region_names(["A", "B"], [1, 6, 10], "atlas.nii.gz")


def test_duplicated_index_in_a_labels_table_is_an_error(tmp_path):
    table = tmp_path / "atlas_dseg.tsv"
    pd.DataFrame({"index": [1, 2, 2, 3], "name": ["a", "b", "b2", "c"]}).to_csv(
        table, sep="\t", index=False
    )
    with pytest.raises(LabelsError, match="repeats index 2"):
        resolve_region_names(str(table), [1, 2, 3], "atlas.nii.gz")


def test_duplicate_names_warning_blames_the_name_column(tmp_path):
    table = tmp_path / "atlas_dseg.tsv"
    pd.DataFrame({"index": [1, 2, 3], "name": ["a", "a", "c"]}).to_csv(
        table, sep="\t", index=False
    )
    with pytest.warns(UserWarning, match="the 'name' column of") as caught:
        _, names = resolve_region_names(str(table), [1, 2, 3], "atlas.nii.gz")
    assert names == ["a", "a.1", "c"]
    assert "'index' column" not in str(caught[0].message)


@pytest.mark.parametrize("bad", ["left\tright", "two\nlines", "cr\rname"])
def test_tab_or_newline_in_a_name_is_refused(bad, tmp_path):
    with pytest.raises(LabelsError, match="Region name 2 in 'labels'"):
        resolve_region_names(["a", bad, "c"], [1, 2, 3], "atlas.nii.gz")
    if "\r" in bad:
        return  # a quoted TSV cell keeps tabs and newlines; a lone CR is not kept
    table = tmp_path / "lut.tsv"
    pd.DataFrame({"index": [1, 2, 3], "name": ["a", bad, "c"]}).to_csv(
        table, sep="\t", index=False
    )
    with pytest.raises(LabelsError, match="the 'name' column of"):
        resolve_region_names(str(table), [1, 2, 3], "atlas.nii.gz")


def test_a_refused_name_writes_nothing(bold_file, atlas_file, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(LabelsError, match="a tab"):
        extract_timeseries(
            [str(bold_file)],
            str(atlas_file),
            labels=["a", "b\tc", "d", "e", "f"],
            output_dir=str(out),
        )
    assert not list(out.glob("*_timeseries.tsv"))
