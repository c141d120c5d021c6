"""R's CIFTI voxels through the bridge: grayordinates out, values written back as CIFTI."""

from __future__ import annotations

import shutil
import subprocess

import nibabel as nib
import numpy as np
import pytest
from surface_data import brain_models, write_dtseries

from niimasker_core import errors
from niimasker_core.faces import r_bridge


def _bytes(values: np.ndarray) -> bytearray:
    return bytearray(np.asarray(values, dtype=np.float64).tobytes(order="F"))


@pytest.fixture
def run(tmp_path, rng):
    models = brain_models(rng)
    series = tmp_path / "sub-01_task-rest_bold.dtseries.nii"
    data = write_dtseries(series, models, rng, n_volumes=12)
    return series, models, data


def test_grayordinates_cross_as_structures_and_indices(run):
    series, models, _ = run
    plain = r_bridge.extract_timeseries({"input_files": [str(series)]})
    assert plain["error"] is None
    grayordinates = plain["result"]["grayordinates"]
    assert grayordinates["structures"] == [
        "CORTEX_LEFT",
        "CORTEX_RIGHT",
        "THALAMUS_LEFT",
    ]
    assert sum(grayordinates["counts"]) == len(models)
    vertex = np.frombuffer(bytes(grayordinates["vertex"]), dtype=np.int32)
    voxel = np.frombuffer(bytes(grayordinates["voxel"]), dtype=np.int32).reshape(
        (-1, 3), order="F"
    )
    np.testing.assert_array_equal(vertex, models.vertex)
    np.testing.assert_array_equal(voxel, models.voxel)
    assert "mask" not in plain["result"]


def test_values_go_back_as_dscalar_and_dtseries(run, tmp_path):
    series, models, data = run
    maps = np.stack([data.mean(axis=0), data.std(axis=0)], axis=1)  # grayordinates x 2
    dscalar = tmp_path / "maps.dscalar.nii"
    got = r_bridge.voxels_to_cifti(
        values=_bytes(maps),
        shape=list(maps.shape),
        template=str(series),
        file=str(dscalar),
        map_names=["mean", "sd"],
    )
    assert got["error"] is None
    img = nib.load(dscalar)
    assert img.header.get_axis(1) == models
    assert list(img.header.get_axis(0).name) == ["mean", "sd"]
    np.testing.assert_allclose(img.get_fdata(), maps.T, rtol=1e-6)
    dtseries = tmp_path / "back.dtseries.nii"
    got = r_bridge.voxels_to_cifti(
        values=_bytes(data),
        shape=list(data.shape),
        template=str(series),
        file=str(dtseries),
    )
    assert got["error"] is None
    img = nib.load(dtseries)
    assert img.header.get_axis(0).step == pytest.approx(0.8)  # the template's TR
    np.testing.assert_allclose(img.get_fdata(), data, rtol=1e-6)
    wb = shutil.which("wb_command")
    for path in (dscalar, dtseries):
        done = subprocess.run([wb, "-file-information", str(path)], capture_output=True)
        assert done.returncode == 0, done.stderr


def test_values_that_do_not_fit_are_refused(run, tmp_path):
    series, models, _ = run
    with pytest.raises(errors.SettingsError, match="'x' has 5 rows"):
        r_bridge.write_grayordinates(
            _bytes(np.zeros((5, 1))),
            [5, 1],
            str(series),
            str(tmp_path / "a.dscalar.nii"),
        )
    with pytest.raises(errors.SettingsError, match="'file'"):
        values = np.zeros((len(models), 1))
        r_bridge.write_grayordinates(
            _bytes(values), list(values.shape), str(series), str(tmp_path / "a.nii.gz")
        )
    with pytest.raises(errors.ImageNotFoundError, match="'template'"):
        r_bridge.write_grayordinates(
            _bytes(np.zeros((1, 1))),
            [1, 1],
            str(tmp_path / "no.dtseries.nii"),
            "a.dscalar.nii",
        )


def test_a_gifti_run_is_a_template_too(tmp_path, rng):
    from surface_data import N_LEFT, N_RIGHT, surface_series, write_func_gii

    files = []
    for hemi, n, name in (("L", N_LEFT, "CortexLeft"), ("R", N_RIGHT, "CortexRight")):
        files.append(tmp_path / f"sub-01_hemi-{hemi}_bold.func.gii")
        write_func_gii(files[-1], surface_series(rng, n, 4), name)
    values = np.arange(N_LEFT + N_RIGHT, dtype=float)
    out = tmp_path / "map.dscalar.nii"
    r_bridge.write_grayordinates(_bytes(values), [len(values)], str(files[0]), str(out))
    img = nib.load(out)
    np.testing.assert_array_equal(img.get_fdata()[0], values)
    assert img.header.get_axis(1).nvertices["CIFTI_STRUCTURE_CORTEX_RIGHT"] == N_RIGHT
