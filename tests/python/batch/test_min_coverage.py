"""min_coverage: regions below XCP-D's coverage are n/a; the oracle counts voxels itself."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import SHAPE, make_bold
from surface_data import brain_models, random_keys, write_dlabel, write_dtseries

from niimasker_core.errors import SettingsError
from niimasker_core.faces import api


@pytest.fixture
def scene(tmp_path, rng, affine):
    """Four slab regions, a mask over part of them, NaN voxels in one region."""
    labels = np.zeros(SHAPE, dtype=np.int16)
    for k in range(4):
        labels[:, 2 * k : 2 * k + 2, :] = k + 1
    mask = np.ones(SHAPE, dtype=np.uint8)
    mask[:4, 0:2, :] = 0  # region 1 loses 4/7 of its voxels
    mask[:2, 2:4, :] = 0  # region 2 loses 2/7
    bold = make_bold(rng, affine, n_volumes=12)
    data = bold.get_fdata(dtype=np.float32)
    data[5:, 4:6, :5] = np.nan  # region 3: 10 of its 126 voxels non-finite
    data[:, 6:8, :] = (
        np.where(rng.random((7, 2, 9)) < 0.6, np.nan, 1.0)[..., None] * data[:, 6:8, :]
    )
    paths = {}
    for name, img in (
        ("bold", nib.Nifti1Image(data, affine, bold.header)),
        ("atlas", nib.Nifti1Image(labels, affine)),
        ("mask", nib.Nifti1Image(mask, affine)),
    ):
        paths[name] = str(tmp_path / f"{name}.nii.gz")
        img.to_filename(paths[name])
    return paths, labels, mask.astype(bool), np.isfinite(data).all(axis=-1)


def xcp_d_coverage(labels, mask, finite):
    """Each region's voxels inside the mask and finite, over all its voxels."""
    return {
        str(k): float((labels == k)[mask & finite].sum() / (labels == k).sum())
        for k in range(1, 5)
    }


def test_regions_below_min_coverage_are_na_and_recorded(tmp_path, scene):
    paths, labels, mask, finite = scene
    expected = xcp_d_coverage(labels, mask, finite)
    threshold = 0.7
    below = sorted(k for k, v in expected.items() if v < threshold)
    assert below and len(below) < 4  # the scene has both kinds

    def run(out, **extra):
        return api.extract_timeseries(
            [paths["bold"]], paths["atlas"], str(tmp_path / out),
            mask_img=paths["mask"], nan_policy="omit", report=False, **extra,
        )[0]  # fmt: skip

    plain = run("plain")
    kept = run("kept", min_coverage=threshold)
    for column in plain.data.columns:
        if column in below:
            assert kept.data[column].isna().all()
        else:
            np.testing.assert_array_equal(kept.data[column], plain.data[column])
    sidecar = json.loads((tmp_path / "kept" / "bold_timeseries.json").read_text())
    assert sidecar["RegionsBelowMinCoverage"] == below
    assert sidecar["MinCoverage"] == threshold
    table = pd.read_csv(
        tmp_path / "kept" / "bold_coverage.tsv", sep="\t", dtype={"region": str}
    )
    assert table.set_index("region")["kept"].to_dict() == {
        k: k not in below for k in expected
    }
    written = pd.read_csv(tmp_path / "kept" / "bold_timeseries.tsv", sep="\t")
    assert written[below].isna().all().all()  # n/a in the table too


def test_min_coverage_is_refused_without_regions(tmp_path, scene):
    paths, *_ = scene
    with pytest.raises(SettingsError, match="min_coverage"):
        api.extract_timeseries([paths["bold"]], None, min_coverage=0.5)
    with pytest.raises(SettingsError, match="min_coverage"):
        api.extract_timeseries([paths["bold"]], paths["atlas"], min_coverage=1.5)


def test_surface_parcels_below_min_coverage_are_na(tmp_path, rng):
    """A parcel's coverage: its vertices with signal in the run, over its vertices."""
    models = brain_models(rng)
    keys = random_keys(models, rng)
    run = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    data = write_dtseries(run, models, rng, n_volumes=12)
    parcels = [k for k in np.unique(keys) if k]
    first, second = (np.flatnonzero(keys == k) for k in parcels[:2])
    data[:, first[: int(0.6 * len(first))]] = 0.0  # no signal (a dropout)
    data[:, second[: int(0.2 * len(second))]] = np.nan  # non-finite throughout
    header = nib.load(run).header
    nib.Cifti2Image(data, header=header).to_filename(str(run))
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, keys)
    signal = np.isfinite(data).all(axis=0) & (data != 0).any(axis=0)
    expected = {
        f"Parcel_{k}": float((signal & (keys == k)).sum() / (keys == k).sum())
        for k in parcels
    }
    below = sorted(name for name, value in expected.items() if value < 0.5)
    assert below == ["Parcel_" + str(parcels[0])]

    def extract(**extra):
        return api.extract_timeseries([str(run)], str(atlas), report=False, **extra)[0]

    plain, kept = extract(), extract(min_coverage=0.5)
    for column in plain.data.columns:
        if column in below:
            assert kept.data[column].isna().all()
        else:
            np.testing.assert_array_equal(kept.data[column], plain.data[column])
    assert kept.sidecar["RegionsBelowMinCoverage"] == below


def test_regions_below_min_coverage_are_na_in_the_matrices(tmp_path, scene):
    paths, labels, mask, finite = scene
    expected = xcp_d_coverage(labels, mask, finite)
    below = sorted(k for k, v in expected.items() if v < 0.7)
    item = api.extract_timeseries(
        [paths["bold"]], paths["atlas"], str(tmp_path / "out"),
        mask_img=paths["mask"], nan_policy="omit", report=False, t_r=2,
        min_coverage=0.7, connectivity=["correlation"],
    )[0]  # fmt: skip
    matrix = item.connectivity["correlation"]
    kept = [c for c in item.data.columns if c not in below]
    assert matrix.loc[below].isna().all().all() and matrix[below].isna().all().all()
    np.testing.assert_allclose(
        matrix.loc[kept, kept].to_numpy(), item.data[kept].corr().to_numpy(), rtol=1e-10
    )
    sidecar = json.loads(
        (tmp_path / "out" / "bold_correlation_relmat.json").read_text()
    )
    assert sorted(sidecar["NodesLeftOut"]) == below
