"""ROI set names: each set its own, short enough to name files (issue 19)."""

from __future__ import annotations

import pytest

from niimasker_core.errors import RoiError
from niimasker_core.rois.sets import roi_set_names


def test_a_name_given_twice_is_refused():
    with pytest.raises(RoiError, match="two ROI sets 'a'"):
        roi_set_names(("a=atlas.nii.gz", "a=seeds.tsv"))


def test_a_number_added_to_a_repeated_file_name_cannot_take_a_given_name():
    with pytest.raises(RoiError, match="two ROI sets 'atlas2'"):
        roi_set_names(("atlas.nii.gz", "atlas.nii.gz", "atlas2=seeds.tsv"))


def test_files_of_one_name_are_numbered():
    names = roi_set_names(("x/atlas.nii.gz", "y/atlas.nii.gz"))
    assert [n for n, _ in names] == ["atlas", "atlas2"]


def test_a_name_too_long_for_file_names_is_refused():
    with pytest.raises(RoiError, match="250 characters"):
        roi_set_names(("s" * 250 + "=atlas.nii.gz", "b=seeds.tsv"))
