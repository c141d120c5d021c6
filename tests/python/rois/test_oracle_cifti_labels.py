"""CIFTI atlases on CIFTI timeseries, beside ``wb_command -cifti-parcellate``.

Connectome Workbench is the reference implementation of CIFTI parcellation;
the set-up installs it (``connectome-workbench``), so these tests run
everywhere the suite runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.signal import clean
from surface_data import brain_models, random_keys, write_dlabel, write_dtseries

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries


def parcellate(wb: str, series: Path, atlas: Path, tmp: Path) -> pd.DataFrame:
    """Return wb_command's parcel means, one column per parcel, named as its axis."""
    out = tmp / f"{atlas.stem}_{series.stem}.ptseries.nii"
    subprocess.run(
        [wb, "-cifti-parcellate", str(series), str(atlas), "COLUMN", str(out)],
        check=True,
        capture_output=True,
    )
    img = nib.load(out)
    return pd.DataFrame(img.get_fdata(), columns=list(img.header.get_axis(1).name))


def ours(series: Path, atlas: Path, **kwargs) -> pd.DataFrame:
    result = extract_timeseries([str(series)], str(atlas), **kwargs)
    return result.timeseries[0].data


@pytest.fixture
def cifti(tmp_path, rng):
    models = brain_models(rng)
    series = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    data = write_dtseries(series, models, rng)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng), names={3: "Visual"})
    return series, atlas, models, data


def test_region_means_equal_wb_command(cifti, wb_command, tmp_path):
    series, atlas, _, _ = cifti
    expected = parcellate(wb_command, series, atlas, tmp_path)
    got = ours(series, atlas)
    assert list(got.columns) == list(expected.columns)  # names and order
    assert "Visual" in got.columns
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_an_atlas_on_whole_meshes_matches_by_vertex(wb_command, tmp_path, rng):
    """An atlas covering the medial wall fits an image leaving it out.

    The oracle: wb_command carries the atlas onto the image's own
    grayordinates (-cifti-create-dense-from-template), then parcellates.
    """
    models = brain_models(rng)
    series = tmp_path / "bold.dtseries.nii"
    write_dtseries(series, models, rng)
    whole = brain_models(rng, medial_wall=False)
    atlas = tmp_path / "whole.dlabel.nii"
    write_dlabel(atlas, whole, random_keys(whole, rng))
    fitted = tmp_path / "fitted.dlabel.nii"
    subprocess.run(
        [wb_command, "-cifti-create-dense-from-template", str(series), str(fitted)]
        + ["-cifti", str(atlas)],
        check=True,
        capture_output=True,
    )
    expected = parcellate(wb_command, series, fitted, tmp_path)
    got = ours(series, atlas)
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_structures_in_another_order_still_match(cifti, wb_command, tmp_path, rng):
    """The atlas' structures in another order, its vertices shuffled: same regions."""
    series, atlas, models, _ = cifti
    keys = np.asarray(nib.load(atlas).dataobj[0])
    right = [s for s in models.iter_structures() if s[0].endswith("RIGHT")][0]
    left = [s for s in models.iter_structures() if s[0].endswith("LEFT")][0]
    shuffled = right[2] + left[2]  # right hemisphere first, no thalamus
    shuffled_keys = np.concatenate([keys[right[1]], keys[left[1]]])
    moved = tmp_path / "moved.dlabel.nii"
    write_dlabel(moved, shuffled, shuffled_keys)
    got = ours(series, moved)
    # the same atlas without its thalamus, in the image's order, through wb_command
    in_order = keys.copy()
    start = [s for s in models.iter_structures() if "THALAMUS" in s[0]][0][1]
    in_order[start] = 0
    reference = tmp_path / "reference.dlabel.nii"
    write_dlabel(reference, models, in_order)
    expected = parcellate(wb_command, series, reference, tmp_path)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_cleaning_is_the_same_as_on_wb_commands_means(cifti, wb_command, tmp_path):
    series, atlas, _, _ = cifti
    means = parcellate(wb_command, series, atlas, tmp_path).to_numpy()
    expected = clean(
        means[4:],
        detrend=True,
        standardize="zscore_sample",
        t_r=0.8,
        high_pass=0.01,
    )
    got = ours(
        series,
        atlas,
        discard_scans=4,
        detrend=True,
        standardize="zscore_sample",
        high_pass=0.01,
    )
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-5, atol=1e-5)


def test_the_tr_comes_from_the_series_axis(cifti):
    series, atlas, _, _ = cifti
    result = extract_timeseries([str(series)], str(atlas))
    item = result.timeseries[0]
    assert item.t_r == pytest.approx(0.8)
    assert item.sidecar["RepetitionTimeSource"] == "header"


def test_the_command_writes_a_table_named_after_the_image(cifti, tmp_path):
    from niimasker_core.faces.cli import main

    series, atlas, _, _ = cifti
    out = tmp_path / "out"
    assert main([str(out), "-i", str(series), "-r", str(atlas)]) == 0
    table = out / "sub-01_task-rest_space-fsLR_den-91k_bold_timeseries.tsv"
    coverage = pd.read_csv(
        out / "sub-01_task-rest_space-fsLR_den-91k_bold_coverage.tsv", sep="\t"
    )
    assert table.is_file()
    assert (coverage["fraction"] == 1).all()
    report = (out / "report.html").read_text()
    assert "Carpet plot" in report and "No atlas picture" in report


@pytest.mark.parametrize("chunk_bytes", [64, 4096, 2**24])
def test_chunks_of_samples_give_the_same_means(cifti, chunk_bytes):
    """Reading grayordinates a few at a time, or all at once, is the same."""
    from niimasker_core.domains.registry import open_image
    from niimasker_core.engine import extract
    from niimasker_core.rois.surface_labels import SurfaceLabels, read_dlabel

    series, atlas, _, data = cifti
    image = open_image(str(series))
    source = SurfaceLabels(read_dlabel(str(atlas)))
    reduction = source.for_domain(image.domain)
    got = extract(image, [reduction], discard_scans=2, chunk_bytes=chunk_bytes).signals[
        0
    ]
    keys = np.asarray(nib.load(atlas).dataobj[0])
    expected = np.stack(
        [data[2:, keys == k].mean(axis=1, dtype=np.float64) for k in source.ids], 1
    )
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_non_finite_values_follow_nan_policy(tmp_path, rng):
    models = brain_models(rng)
    series = tmp_path / "bold.dtseries.nii"
    data = write_dtseries(series, models, rng)
    data[5, 7] = np.nan
    write_dtseries_values(series, models, data)
    atlas = tmp_path / "atlas.dlabel.nii"
    keys = random_keys(models, rng)
    keys[7] = 2
    write_dlabel(atlas, models, keys)
    with pytest.raises(errors.InputFileError, match="volume 5"):
        ours(series, atlas)
    zero = ours(series, atlas, nan_policy="zero")
    omit = ours(series, atlas, nan_policy="omit")
    members = keys == 2
    zeroed = np.where(np.isfinite(data), data, 0)
    assert zero["Parcel_2"][5] == pytest.approx(zeroed[5, members].mean(), rel=1e-6)
    assert omit["Parcel_2"][5] == pytest.approx(np.nanmean(data[5, members]), rel=1e-6)
    assert omit["Parcel_2"][4] == pytest.approx(data[4, members].mean(), rel=1e-6)


def write_dtseries_values(path: Path, models, data: np.ndarray) -> None:
    from nibabel.cifti2 import cifti2_axes

    series = cifti2_axes.SeriesAxis(0, 0.8, data.shape[0], unit="SECOND")
    nib.Cifti2Image(data, header=(series, models)).to_filename(str(path))


def test_an_atlas_on_another_mesh_is_refused(cifti, tmp_path, rng):
    from nibabel.cifti2 import cifti2_axes

    series, _, _, _ = cifti
    other = cifti2_axes.BrainModelAxis.from_mask(np.ones(300, bool), name="CortexLeft")
    atlas = tmp_path / "other.dlabel.nii"
    write_dlabel(atlas, other, rng.integers(1, 4, 300))
    with pytest.raises(errors.RoiError, match="300-vertex mesh.*240-vertex mesh"):
        ours(series, atlas)


def test_volume_and_surface_do_not_mix(cifti, tmp_path, rng, affine):
    from conftest import make_atlas, make_bold

    series, atlas, _, _ = cifti
    volume_atlas = tmp_path / "atlas.nii.gz"
    make_atlas(rng, affine).to_filename(volume_atlas)
    with pytest.raises(errors.RoiError, match="voxel grid.*grayordinates"):
        ours(series, volume_atlas)
    bold = tmp_path / "bold.nii.gz"
    make_bold(rng, affine).to_filename(bold)
    with pytest.raises(errors.RoiError, match="cortical surface.*surface image"):
        ours(bold, atlas)


def test_an_atlas_given_as_the_image_is_refused(cifti):
    series, atlas, _, _ = cifti
    renamed = atlas.with_name("atlas_as.dtseries.nii")
    shutil.copy(atlas, renamed)
    with pytest.raises(errors.InputFileError, match="label file.*roi_file"):
        ours(renamed, atlas)


def test_options_surfaces_do_not_take_are_refused(cifti):
    series, atlas, _, _ = cifti
    with pytest.raises(errors.RoiError, match="'strategy'"):
        ours(series, atlas, strategy="median")
    with pytest.raises(errors.SettingsError, match="smoothing_fwhm"):
        ours(series, atlas, smoothing_fwhm=4)


def test_a_file_of_several_label_maps_is_refused(cifti, tmp_path):
    from nibabel.cifti2 import cifti2_axes

    series, atlas, models, _ = cifti
    img = nib.load(atlas)
    labels = img.header.get_axis(0)
    two = cifti2_axes.LabelAxis(["a", "b"], [labels.label[0], labels.label[0]])
    data = np.repeat(np.asarray(img.dataobj), 2, axis=0)
    path = tmp_path / "two.dlabel.nii"
    nib.Cifti2Image(data, header=(two, models)).to_filename(str(path))
    with pytest.raises(errors.RoiError, match="2 label maps"):
        ours(series, path)


def test_given_names_replace_the_label_table(cifti):
    series, atlas, _, _ = cifti
    n = len(ours(series, atlas).columns)
    names = [f"r{i}" for i in range(n)]
    assert list(ours(series, atlas, labels=names).columns) == names


def test_samples_without_signal_leave_the_mean_as_cifti_weights_do(
    wb_command, tmp_path, rng
):
    """Vertices 0 or NaN in every volume (medial wall, dropout) are left out.

    The oracle: XCP-D's call, wb_command -cifti-parcellate -method MEAN
    -only-numeric -cifti-weights with a weight of 0 on those grayordinates.
    """
    from nibabel.cifti2 import cifti2_axes

    models = brain_models(rng)
    series = tmp_path / "bold.dtseries.nii"
    data = write_dtseries(series, models, rng)
    atlas = tmp_path / "atlas.dlabel.nii"
    keys = random_keys(models, rng)
    write_dlabel(atlas, models, keys)
    dead = rng.choice(len(models), 40, replace=False)
    data[:, dead[:25]] = 0.0
    data[:, dead[25:]] = np.nan
    write_dtseries_values(series, models, data)
    weights = tmp_path / "weights.dscalar.nii"
    alive = np.ones((1, len(models)), np.float32)
    alive[0, dead] = 0
    scalars = cifti2_axes.ScalarAxis(["weights"])
    nib.Cifti2Image(alive, header=(scalars, models)).to_filename(str(weights))
    out = tmp_path / "weighted.ptseries.nii"
    subprocess.run(
        [wb_command, "-cifti-parcellate", str(series), str(atlas), "COLUMN", str(out)]
        + ["-method", "MEAN", "-only-numeric", "-cifti-weights", str(weights)],
        check=True,
        capture_output=True,
    )
    expected = nib.load(out).get_fdata()
    got = ours(series, atlas)  # nan_policy 'error': NaN in every volume is no signal
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-6)
    coverage = tmp_path / "out"
    from niimasker_core.faces.cli import main

    assert main([str(coverage), "-i", str(series), "-r", str(atlas)]) == 0
    table = pd.read_csv(coverage / "bold_coverage.tsv", sep="\t")
    ids = sorted(set(keys.tolist()) - {0})
    for row, key in zip(table.itertuples(), ids):
        members = np.flatnonzero(keys == key)
        assert row.voxels_in_roi == len(members)
        assert row.voxels_used == len(np.setdiff1d(members, dead))
