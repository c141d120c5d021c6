"""Every grayordinate of a surface run (no roi_file), beside nilearn and wb_command.

The values are the run's own (read by nibabel), cleaned by nilearn's
``signal.clean`` on the same matrix; the files written are read back by
nibabel and by ``wb_command -file-information``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.signal import clean
from surface_data import (
    N_LEFT,
    N_RIGHT,
    T_R,
    brain_models,
    surface_series,
    write_dtseries,
    write_func_gii,
)

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main
from niimasker_core.io.surface_outputs import hemisphere_name

STEM = "sub-01_task-rest_space-fsLR_den-91k_bold"


def file_information(wb: str, path: Path) -> str:
    """Return ``wb_command -file-information`` of a file (failing if it cannot read it)."""
    done = subprocess.run(
        [wb, "-file-information", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def cifti(tmp_path, rng):
    """A CIFTI run (both cortices with a medial wall, a thalamus) and its confounds."""
    models = brain_models(rng)
    series = tmp_path / f"{STEM}.dtseries.nii"
    data = write_dtseries(series, models, rng, n_volumes=40)
    confounds = pd.DataFrame(
        rng.normal(0, 1, (40, 3)), columns=["trans_x", "trans_y", "rot_z"]
    )
    confounds["framewise_displacement"] = np.r_[np.nan, np.full(39, 0.1)]
    confounds.loc[[20, 21], "framewise_displacement"] = 0.9
    table = tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv"
    confounds.to_csv(table, sep="\t", index=False, na_rep="n/a")
    return series, models, data, confounds, table


def _close(got, expected):
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-5 * np.abs(expected).max()
    )


def test_every_grayordinate_cleaned_equals_nilearn(cifti):
    """Confounds, scrubbing, discarded volumes: nilearn's clean on the same matrix."""
    series, models, data, confounds, table = cifti
    result = extract_timeseries(
        [str(series)],
        regressor_files=[str(table)],
        regressors=["trans_x", "trans_y", "rot_z"],
        fd_threshold=0.5,
        scrub=0,
        discard_scans=2,
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.02,
    )
    got = result[0].data
    kept = np.asarray(got.index) - 2  # volumes kept after the discarded two
    assert 20 not in got.index and 21 not in got.index and 2 in got.index
    expected = clean(
        data[2:],
        confounds=confounds[["trans_x", "trans_y", "rot_z"]].to_numpy()[2:],
        sample_mask=kept,
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.02,
        t_r=T_R,
    )
    assert got.shape == (len(kept), len(models))
    _close(got.to_numpy(), expected)
    assert result.brain_models == models  # the run's grayordinates, in order
    assert result.mask_img is None


def test_columns_name_each_grayordinate_in_the_files_order(cifti):
    series, models, data, _, _ = cifti
    got = extract_timeseries([str(series)])[0].data
    names = list(got.columns)
    for position in (0, len(models) - 1, int(models.surface_mask.sum())):
        name = models.name[position]
        vertex, voxel = models.vertex[position], models.voxel[position]
        short = name.removeprefix("CIFTI_STRUCTURE_")
        if vertex != -1:
            assert names[position] == f"{short}_vertex_{vertex}"
        else:
            assert names[position] == f"{short}_voxel_" + "_".join(map(str, voxel))
    np.testing.assert_array_equal(got.to_numpy(), data)  # no cleaning: the data


def test_the_command_writes_a_dtseries_workbench_reads(cifti, wb_command, tmp_path):
    series, models, data, _, _ = cifti
    out = tmp_path / "out"
    assert main([str(out), "-i", str(series), "--detrend", "--discard_scans", "3"]) == 0
    written = out / f"{STEM}_timeseries.dtseries.nii"
    img = nib.load(written)
    assert img.header.get_axis(1) == models  # the same brain models
    rows = img.header.get_axis(0)
    assert (rows.step, rows.start, rows.size) == (T_R, 3 * T_R, 37)
    _close(img.get_fdata(), clean(data[3:], detrend=True, standardize=None))
    info = file_information(wb_command, written)
    assert "Dense Data Series" in info and "ThalamusLeft:" in info
    sidecar = json.loads((out / f"{STEM}_timeseries.json").read_text())
    assert sidecar["NumberOfGrayordinates"] == len(models)
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert f"{STEM}_timeseries.dtseries.nii" in record["runs"][0]["files"]


@pytest.mark.parametrize("output_format", ["tsv", "npy"])
def test_tables_of_every_grayordinate(cifti, tmp_path, output_format):
    series, models, data, _, _ = cifti
    out = tmp_path / "out"
    argv = [str(out), "-i", str(series), "--output_format", output_format]
    assert main(argv) == 0
    stem = out / f"{STEM}_timeseries"
    if output_format == "npy":
        got = np.load(f"{stem}.npy")
    else:
        table = pd.read_csv(f"{stem}.tsv", sep="\t")
        assert table.columns[0] == "CORTEX_LEFT_vertex_" + str(models.vertex[0])
        got = table.to_numpy()
    assert got.shape == data.shape
    _close(got, data)


@pytest.fixture
def gifti_pair(tmp_path, rng):
    left, right = surface_series(rng, N_LEFT, 25), surface_series(rng, N_RIGHT, 25)
    paths = []
    for hemi, data, name in (("L", left, "CortexLeft"), ("R", right, "CortexRight")):
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, data, name)
        paths.append(path)
    return paths, left, right


def test_a_gifti_pair_is_written_as_a_gifti_pair(gifti_pair, tmp_path, wb_command):
    (left_file, right_file), left, right = gifti_pair
    out = tmp_path / "out"
    argv = [str(out), "-i", str(right_file), str(left_file), "--detrend"]
    assert main(argv) == 0
    stem = "sub-01_task-rest_space-fsaverage5_bold"
    for hemi, data in (("L", left), ("R", right)):
        path = (
            out
            / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold_timeseries.func.gii"
        )
        img = nib.load(path)
        got = np.vstack([a.data for a in img.darrays])
        _close(got, clean(data, detrend=True, standardize=None))
        assert float(img.darrays[0].meta["TimeStep"]) == pytest.approx(800.0)
        file_information(wb_command, path)
    assert (out / f"{stem}_timeseries.json").is_file()
    # as a dense timeseries: both cortices, every vertex
    out2 = tmp_path / "out2"
    assert (
        main(
            [
                str(out2),
                "-i",
                str(left_file),
                str(right_file),
                "--output_format",
                "cifti",
            ]
        )
        == 0
    )
    dense = nib.load(out2 / f"{stem}_timeseries.dtseries.nii")
    np.testing.assert_allclose(dense.get_fdata(), np.hstack([left, right]), rtol=1e-6)
    assert "Dense Data Series" in file_information(
        wb_command, out2 / f"{stem}_timeseries.dtseries.nii"
    )


def test_nan_policy_applies_as_for_volumes(tmp_path, rng):
    models = brain_models(rng)
    series = tmp_path / f"{STEM}.dtseries.nii"
    data = write_dtseries(series, models, rng, n_volumes=12)
    data[5, 7] = np.nan
    nib.Cifti2Image(data, header=nib.load(series).header).to_filename(str(series))
    with pytest.raises(errors.InputFileError, match="volume 5"):
        extract_timeseries([str(series)])
    got = extract_timeseries([str(series)], nan_policy="zero")[0].data.to_numpy()
    assert got[5, 7] == 0 and np.isfinite(got).all()
    with pytest.raises(errors.InputFileError, match="omit"):
        extract_timeseries([str(series)], nan_policy="omit")


def test_volume_masks_and_other_meshes_are_refused(cifti, tmp_path, rng):
    series, _, _, _, _ = cifti
    with pytest.raises(
        errors.SettingsError, match="'target_shape'.*surface|surface.*'target_shape'"
    ):
        extract_timeseries(
            [str(series)], target_shape=[4, 4, 4], target_affine=np.eye(4).tolist()
        )
    other = tmp_path / "sub-02_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    write_dtseries(other, brain_models(rng), rng, n_volumes=10)  # another medial wall
    result = extract_timeseries([str(series), str(other)])
    assert len(result.timeseries) == 1
    assert result.failures[0].error_type == "RoiError"
    assert "grayordinates of the first" in result.failures[0].message


def test_cifti_is_refused_for_volume_voxels(tmp_path):
    func = (
        Path(__file__).parents[3] / "inst" / "extdata" / "fmriprep" / "sub-01" / "func"
    )
    bold = func / "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz"
    with pytest.raises(errors.SettingsError, match="'cifti'"):
        extract_timeseries([str(bold)], output_format="cifti")


def test_hemisphere_goes_where_bids_puts_it():
    name = "sub-01_task-rest_space-fsaverage5_bold_timeseries.func.gii"
    assert hemisphere_name(name, "R") == (
        "sub-01_task-rest_hemi-R_space-fsaverage5_bold_timeseries.func.gii"
    )
    assert hemisphere_name("sub-01_bold_timeseries.func.gii", "L") == (
        "sub-01_hemi-L_bold_timeseries.func.gii"
    )
    assert hemisphere_name("run_timeseries.func.gii", "L") == (
        "hemi-L_run_timeseries.func.gii"
    )


def test_high_variance_confounds_of_a_surface_run(cifti):
    """nilearn's high-variance confounds of every grayordinate, as of a SurfaceImage."""
    from nilearn.signal import high_variance_confounds

    series, _, data, _, _ = cifti
    got = extract_timeseries(
        [str(series)], high_variance_confounds=True, discard_scans=1, detrend=True
    )[0].data
    expected = clean(
        data[1:],
        confounds=high_variance_confounds(data)[1:],
        detrend=True,
        standardize=None,
    )
    _close(got.to_numpy(), expected)


def test_read_timeseries_says_grayordinate_images_are_not_read_back(
    gifti_pair, tmp_path
):
    from niimasker_core import read_timeseries

    (left_file, right_file), _, _ = gifti_pair
    out = tmp_path / "out"
    assert main([str(out), "-i", str(left_file), str(right_file)]) == 0
    with pytest.warns(errors.UnusedOptionWarning, match="gifti file, not read back"):
        result = read_timeseries(str(out))
    assert len(result) == 0
