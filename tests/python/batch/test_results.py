"""The Python results: a DataFrame per image and ROI set, its metadata and the batch's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_bold

import niimasker_core
from niimasker_core.batch.results import ExtractionResult, ImageTimeseries, to_frame
from niimasker_core.faces import r_bridge
from niimasker_core.faces.api import run_with_values


@pytest.fixture
def two_images(tmp_path, rng, affine):
    paths = []
    for sub in ("01", "02"):
        path = tmp_path / f"sub-{sub}_task-rest_bold.nii.gz"
        make_bold(rng, affine, n_volumes=12).to_filename(path)
        paths.append(str(path))
    return paths


def test_each_image_is_a_dataframe_indexed_by_its_volumes(
    tmp_path, bold_file, atlas_file
):
    out = tmp_path / "out"
    result = niimasker_core.extract_timeseries(
        [str(bold_file)], str(atlas_file), str(out), discard_scans=2, report=False
    )
    assert isinstance(result, niimasker_core.ExtractionResult)
    (item,) = result
    assert isinstance(item, niimasker_core.ImageTimeseries)
    assert isinstance(item.data, pd.DataFrame)
    assert item.data.index.name == "volume"
    sidecar = json.loads((out / f"{item.stem}_timeseries.json").read_text())
    assert item.data.index.tolist() == sidecar["OutputVolumes"] == item.volumes
    assert item.volumes[0] == 2  # 0-based numbers in the image, discarded left out
    assert item.data.dtypes.eq(np.float64).all()
    tsv = pd.read_csv(out / f"{item.stem}_timeseries.tsv", sep="\t")
    assert item.columns == list(item.data.columns) == list(tsv.columns)
    np.testing.assert_allclose(item.data.to_numpy(), tsv.to_numpy(), rtol=1e-8)
    assert item.sidecar == sidecar
    assert item.file == str(bold_file) and item.stem == "sub-01_task-rest_bold"
    assert item.atlas is None and item.skipped is False
    assert set(item.files) == {str(p) for p in out.glob(f"{item.stem}_*")}
    assert len(item.files) >= 2


def test_tr_and_its_source(bold_file, atlas_file):
    from_header = niimasker_core.extract_timeseries([str(bold_file)], str(atlas_file))
    assert from_header[0].t_r == 2.0 and from_header[0].t_r_source == "header"
    given = niimasker_core.extract_timeseries(
        [str(bold_file)], str(atlas_file), t_r=2.0
    )
    assert given[0].t_r == 2.0 and given[0].t_r_source == "parameter"
    assert given[0].sidecar["RepetitionTimeSource"] == "parameter"


def test_batch_result_iterates_and_lists_failures(tmp_path, two_images, atlas_file):
    broken = Path(two_images[1])
    broken.write_bytes(broken.read_bytes()[:200])  # truncated
    result = niimasker_core.extract_timeseries(two_images, str(atlas_file))
    assert len(result) == 1 and [t.file for t in result] == [two_images[0]]
    assert result[0] is result.timeseries[0] and result[-1] is result[0]
    (failure,) = result.failures
    assert isinstance(failure, niimasker_core.ExtractionFailure)
    assert failure.file == two_images[1] and failure.error_type and failure.message
    assert str(failure).startswith(f"{two_images[1]}: {failure.error_type}: ")
    assert result.output_dir is None and result.skipped == [] and result.seconds > 0
    assert result.parameters["parameters"]["roi_file"] == str(atlas_file)
    with pytest.raises(TypeError, match=r"result\.timeseries"):
        result["timeseries"]  # the old dict's key: an attribute now


def test_reprs_read_well(tmp_path, two_images, atlas_file):
    result = niimasker_core.extract_timeseries(two_images, str(atlas_file), t_r=2.0)
    text = repr(result)
    assert text.splitlines()[0].startswith(
        "ExtractionResult: 2 timeseries from 2 image"
    )
    assert (
        "[1] sub-02_task-rest_bold: 12 volumes x 5 regions, TR 2 s (parameter)" in text
    )
    item_text = repr(result[0])
    assert item_text.startswith("ImageTimeseries sub-01_task-rest_bold: 12 volumes")
    assert f"file: {two_images[0]}" in item_text
    assert "volume" in item_text  # the DataFrame's first rows, with the index name
    assert "<table" in result._repr_html_() and "<table" in result[0]._repr_html_()


def test_values_are_shared_not_copied():
    values = np.arange(12.0).reshape(4, 3)
    frame = to_frame(values, ["a", "b", "c"], [2, 3, 5, 8])
    assert np.shares_memory(frame.to_numpy(), values)
    item = ImageTimeseries(frame, file="x.nii.gz", stem="x")
    assert np.shares_memory(item.to_numpy(), values)
    assert item.volumes == [2, 3, 5, 8] and item.shape == (4, 3)


def test_the_command_path_drops_the_values(tmp_path, bold_file, atlas_file):
    result = run_with_values(
        {
            "input_files": [str(bold_file)],
            "roi_file": str(atlas_file),
            "output_dir": str(tmp_path / "out"),
            "discard_scans": 1,
            "report": False,
        },
        with_values=False,
    )
    (item,) = result
    assert item.data is None and item.shape == (0, 0) and item.files
    # what was written stays in the files: the batch holds names, not tables
    assert item.sidecar == {} and item.volumes == []
    sidecar = json.loads(Path(item.files[-1]).read_text())
    assert sidecar["OutputVolumes"][0] == 1
    assert "values not kept" in repr(item)
    with pytest.raises(ValueError, match="not kept"):
        item.to_numpy()


def test_voxel_extraction_gives_the_mask(bold_file):
    result = niimasker_core.extract_timeseries([str(bold_file)])
    (item,) = result
    mask = np.asanyarray(result.mask_img.dataobj).astype(bool)
    assert item.data.shape[1] == int(mask.sum())
    assert "voxels" in repr(result) and "mask_img: 7x8x9" in repr(result)


def test_the_r_bridge_sends_the_same_values_as_bytes(bold_file, atlas_file):
    kwargs = {"input_files": [str(bold_file)], "roi_file": str(atlas_file)}
    kwargs |= {"discard_scans": 3, "detrend": True}
    (item,) = niimasker_core.extract_timeseries(**kwargs)
    plain = r_bridge.extract_timeseries(kwargs)["result"]
    (sent,) = plain["timeseries"]
    assert isinstance(sent["values"], bytearray)
    np.testing.assert_array_equal(
        r_bridge.timeseries_to_array(sent), item.data.to_numpy()
    )
    assert sent["columns"] == item.columns and sent["volumes"] == item.volumes
    assert sent["shape"] == [len(item.volumes), len(item.columns)]
    assert sent["sidecar"] == item.sidecar and sent["t_r"] == item.t_r
    assert plain["failures"] == [] and "mask" not in plain
    voxels = r_bridge.extract_timeseries({"input_files": [str(bold_file)]})["result"]
    mask = voxels["mask"]
    grid = np.frombuffer(bytes(mask["values"]), dtype=np.uint8)
    assert (
        mask["shape"] == [7, 8, 9]
        and int(grid.sum()) == voxels["timeseries"][0]["shape"][1]
    )


def test_an_empty_batch_result_reads_well():
    result = ExtractionResult(timeseries=[])
    assert len(result) == 0 and list(result) == []
    assert repr(result).startswith("ExtractionResult: 0 timeseries from 0 image(s)")


def test_read_timeseries_reads_back_every_image_and_roi_set(
    tmp_path, two_images, atlas_file, rng, affine
):
    from conftest import make_atlas

    coarse = tmp_path / "atlas-coarse_dseg.nii.gz"
    make_atlas(rng, affine, n_regions=3).to_filename(coarse)
    out = tmp_path / "out"
    made = niimasker_core.extract_timeseries(
        two_images, [f"fine={atlas_file}", f"coarse={coarse}"], output_dir=str(out)
    )
    read = niimasker_core.read_timeseries(out)
    assert [(t.file, t.atlas, t.stem) for t in read] == [
        (t.file, t.atlas, t.stem) for t in made
    ]
    for got, want in zip(read, made):
        assert got.columns == want.columns and got.volumes == want.volumes
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-8)
        assert got.sidecar == want.sidecar and got.t_r_source == want.t_r_source
    assert read.failures == [] and read.output_dir == str(out)
    plain = r_bridge.read_timeseries(str(out))["result"]
    assert [item["atlas"] for item in plain["timeseries"]] == ["fine", "coarse"] * 2


def test_read_timeseries_skips_voxel_images_with_a_warning(tmp_path, bold_file):
    out = tmp_path / "out"
    niimasker_core.extract_timeseries(str(bold_file), output_dir=str(out))
    with pytest.warns(niimasker_core.errors.UnusedOptionWarning, match="not read back"):
        read = niimasker_core.read_timeseries(out)
    assert len(read) == 0
