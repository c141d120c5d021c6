"""Options a run does not use, and files given twice, are said, not silently dropped (issue 21)."""

from __future__ import annotations

import warnings

import pytest

from niimasker_core.errors import UnusedOptionWarning
from niimasker_core.faces.api import extract_timeseries


def _unused(**kwargs) -> list[UnusedOptionWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract_timeseries(t_r=2.0, **kwargs)
    return [w.message for w in caught if isinstance(w.message, UnusedOptionWarning)]


@pytest.mark.parametrize(
    ("option", "value"), [("radius", 5.0), ("mask_strategy", "epi")]
)
def test_sphere_and_mask_options_with_a_labels_atlas_are_unused(
    bold_file, atlas_file, option, value
):
    (warning,) = _unused(
        input_files=[str(bold_file)], roi_file=str(atlas_file), **{option: value}
    )
    assert warning.parameter == option
    assert f"`{option}`" in warning.render("r")


def test_default_options_with_a_labels_atlas_say_nothing(bold_file, atlas_file):
    assert _unused(input_files=[str(bold_file)], roi_file=str(atlas_file)) == []


def test_radius_with_coordinates_is_used(bold_file, tmp_path):
    table = tmp_path / "seeds.tsv"
    table.write_text("x\ty\tz\n0\t0\t0\n")
    assert _unused(input_files=[str(bold_file)], roi_file=str(table), radius=5.0) == []


def test_an_input_file_given_twice_is_used_once_with_a_warning(bold_file, atlas_file):
    pattern = str(bold_file.parent / ("?" + bold_file.name[1:]))  # matches it again
    (warning,) = _unused(
        input_files=[str(bold_file), str(bold_file)], roi_file=str(atlas_file)
    )
    assert warning.parameter == "input_files"
    assert warning.value == [str(bold_file)]
    assert "more than once" in warning.render("r")
    repeated = _unused(input_files=[str(bold_file), pattern], roi_file=str(atlas_file))
    assert [w.parameter for w in repeated] == ["input_files"]
