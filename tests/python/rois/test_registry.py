"""The ROI registry: the first kind that reads a roi_file loads it; a new kind is one line."""

from __future__ import annotations

import cubes_kind
import nibabel as nib
import numpy as np
import pandas as pd
import pytest

import niimasker_core
from niimasker_core.errors import ImageNotFoundError, RoiError
from niimasker_core.params.options import RunOptions
from niimasker_core.params.settings import make_settings
from niimasker_core.rois import registry
from niimasker_core.rois.base import RoiRequest


def request(roi_file, **values):
    options = RunOptions.from_settings(make_settings(roi_file=roi_file, **values)).rois
    return RoiRequest(roi_file, options)


def test_each_file_goes_to_its_kind(tmp_path, atlas_file, affine):
    seeds = tmp_path / "seeds.tsv"
    pd.DataFrame({"x": [0.0], "y": [0.0], "z": [0.0]}).to_csv(
        seeds, sep="\t", index=False
    )
    maps = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(np.ones((7, 8, 9, 2), np.float32), affine).to_filename(maps)
    kinds = {
        str(atlas_file): "labels",
        str(seeds): "spheres",
        str(maps): "maps",
    }
    for path, kind in kinds.items():
        assert registry.load_source(request(path)).kind == kind
    with pytest.raises(ImageNotFoundError, match="not found"):
        registry.load_source(request(str(tmp_path / "missing.nii.gz")))
    with pytest.raises(RoiError, match="is required"):
        registry.load_source(request(None))


def test_a_new_kind_is_one_module_and_one_registry_line(
    tmp_path, monkeypatch, bold_file, affine
):
    monkeypatch.setattr(registry, "KINDS", [cubes_kind.KIND, *registry.KINDS])
    table = tmp_path / "centres.cubes.tsv"
    centres = affine[:3, :3] @ np.array([[2, 3, 4], [4, 4, 4]]).T + affine[:3, 3:4]
    pd.DataFrame(centres.T, columns=["x", "y", "z"]).to_csv(
        table, sep="\t", index=False
    )
    out = tmp_path / "out"
    result = niimasker_core.extract_timeseries(
        str(bold_file), str(table), output_dir=str(out), radius=1
    )
    data = np.asanyarray(nib.load(bold_file).dataobj).astype(np.float64)
    expected = np.stack(
        [
            data[1:4, 2:5, 3:6].mean(axis=(0, 1, 2)),
            data[3:6, 3:6, 3:6].mean(axis=(0, 1, 2)),
        ],
        axis=1,
    )
    np.testing.assert_allclose(result[0].to_numpy(), expected, rtol=1e-5)
    assert result[0].columns == ["cube1", "cube2"]
    assert (out / "report.html").is_file()
