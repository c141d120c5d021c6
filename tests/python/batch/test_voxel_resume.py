"""Resume covers voxel outputs: every voxel of a mask is read back, not extracted again."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from conftest import make_bold

from niimasker_core import extract_timeseries
from niimasker_core.errors import SettingsError
from niimasker_core.faces.cli import main


@pytest.fixture
def two_runs(tmp_path, rng, affine):
    paths = []
    for n in (1, 2):
        path = tmp_path / f"sub-0{n}_task-rest_bold.nii.gz"
        make_bold(rng, affine, n_volumes=12).to_filename(path)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("output_format", ["nifti", "npy"])
def test_voxel_outputs_are_read_back(tmp_path, two_runs, output_format):
    out = tmp_path / "out"
    kwargs = dict(output_dir=str(out), output_format=output_format, detrend=True)
    first = extract_timeseries(two_runs, **kwargs)
    written = sorted(p for p in out.iterdir() if p.name.startswith("sub-"))
    stamps = {p: p.stat().st_mtime_ns for p in written}
    second = extract_timeseries(two_runs, **kwargs)
    assert sorted(second.skipped) == sorted(two_runs)
    assert {p: p.stat().st_mtime_ns for p in written} == stamps  # not rewritten
    for made, read in zip(first, second):
        assert read.skipped and read.columns == made.columns
        assert read.volumes == made.volumes
        # float32 as written: the values made are float32 already
        np.testing.assert_array_equal(read.to_numpy(), made.to_numpy())
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert [r["status"] for r in record["runs"]] == ["skipped", "skipped"]


def test_an_edited_voxel_image_is_made_again(tmp_path, two_runs):
    out = tmp_path / "out"
    assert main([str(out), "-i", *two_runs, "--detrend"]) == 0
    image = out / "sub-02_task-rest_bold_timeseries.nii.gz"
    before = nib.load(image).get_fdata()
    image.write_bytes(image.read_bytes()[:-10])  # cut short
    assert main([str(out), "-i", *two_runs, "--detrend"]) == 0
    np.testing.assert_array_equal(nib.load(image).get_fdata(), before)
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert [r["status"] for r in record["runs"]] == ["skipped", "written"]


def test_runs_as_one_label_per_input_file_is_refused_before_reading(two_runs):
    with pytest.raises(SettingsError, match="one run per input file") as caught:
        extract_timeseries(two_runs, runs=[1, 2])
    assert "Drop runs" in str(caught.value) or "runs" in caught.value.render("python")
    # one label per volume of each image still splits each image into runs
    result = extract_timeseries(two_runs, runs=[1] * 6 + [2] * 6, detrend=True)
    assert [item.shape[0] for item in result] == [12, 12]


def test_runs_matching_the_volumes_is_not_mistaken_for_files(tmp_path, rng, affine):
    paths = []
    for n in (1, 2):
        path = tmp_path / f"sub-0{n}_task-rest_bold.nii.gz"
        make_bold(rng, affine, n_volumes=2).to_filename(path)
        paths.append(str(path))
    result = extract_timeseries(paths, runs=[1, 2])  # one label per volume
    assert [item.shape[0] for item in result] == [2, 2]
