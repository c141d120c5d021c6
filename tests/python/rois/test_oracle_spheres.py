"""Oracle tests: spheres around coordinates equal nilearn's NiftiSpheresMasker."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiSpheresMasker
from nilearn.maskers.nifti_spheres_masker import apply_mask_and_get_affinity

from niimasker_core.errors import EmptyRegionWarning
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.rois.spheres import sphere_members

# Seeds in the fixture's world space (grid 7x8x9, voxels 3 x 3.5 x 4 mm, origin -10,-14,-18);
# the third one lies exactly on a voxel centre, the last one off the grid's edge.
SEEDS = [(-2.2, 1.3, -4.9), (7.6, -9.1, 9.4), (2.0, 7.0, 10.0), (-9.4, -13.0, -17.5)]

CASES = [
    {"radius": None},
    {"radius": 0.0},
    {"radius": 3.5},
    {"radius": 5.0},
    {"radius": 5.0, "detrend": True, "standardize": "zscore_sample"},
    {"radius": 4.0, "high_pass": 0.02, "low_pass": 0.2, "t_r": 2.0},
    {"radius": 5.0, "smoothing_fwhm": 5.0},
]


def write_seeds(path, seeds, **columns):
    table = pd.DataFrame(seeds, columns=["x", "y", "z"])
    for name, values in columns.items():
        table[name] = values
    table.to_csv(path, sep="\t", index=False, na_rep="n/a")
    return path


def nilearn_spheres(bold, seeds, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NiftiSpheresMasker(seeds, **kwargs).fit_transform(str(bold))


def ours(bold, roi, **kwargs):
    out = extract_timeseries([str(bold)], str(roi), **kwargs)
    return out.timeseries[0].data.to_numpy(), out


def case_id(settings):
    return "-".join(f"{k}={v}" for k, v in settings.items())


@pytest.mark.parametrize("settings", CASES, ids=case_id)
def test_spheres_equal_nilearn(tmp_path, bold_file, settings):
    roi = write_seeds(tmp_path / "seeds.tsv", SEEDS)
    expected = nilearn_spheres(bold_file, SEEDS, **settings)
    got, _ = ours(bold_file, roi, **settings)
    if len(settings) == 1:  # raw means: bit-identical to nilearn's float32 np.mean
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max()
    )


@pytest.mark.parametrize("radius", [None, 4.0, 6.0])
def test_mask_img_intersects_spheres_as_nilearn(
    tmp_path, bold_file, rng, affine, radius
):
    mask = (rng.random((7, 8, 9)) > 0.35).astype(np.uint8)
    seeds = SEEDS[:3]
    for seed in seeds:  # nilearn refuses empty spheres, so keep each seed's voxel
        ijk = np.round(np.linalg.solve(affine, [*seed, 1.0])[:3]).astype(int)
        mask[tuple(ijk)] = 1
    mask_file = tmp_path / "mask.nii.gz"
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    roi = write_seeds(tmp_path / "seeds.csv", seeds)
    table = pd.DataFrame(seeds, columns=["x", "y", "z"])
    table.to_csv(roi, index=False)
    expected = nilearn_spheres(bold_file, seeds, radius=radius, mask_img=str(mask_file))
    got, _ = ours(bold_file, roi, radius=radius, mask_img=str(mask_file))
    np.testing.assert_array_equal(got, expected)


def test_membership_equals_nilearn_on_many_seeds(rng, affine):
    shape = (7, 8, 9)
    img = nib.Nifti1Image(np.zeros(shape + (2,), np.float32), affine)
    mask = rng.random(shape) > 0.3
    mask_img = nib.Nifti1Image(mask.astype(np.uint8), affine)
    for trial in range(60):
        seed = tuple(rng.uniform([-14, -16, -20], [14, 16, 20]))
        if trial % 3 == 0:
            seed = tuple(
                float(v) for v in np.round(seed)
            )  # the "voxel containing" rule
        radius = [None, 0.0, 3.0, 4.0, 6.5][trial % 5]
        for use_mask in (False, True):
            try:
                _, adjacency = apply_mask_and_get_affinity(
                    [seed], img, radius, True, mask_img=mask_img if use_mask else None
                )
                expected = list(adjacency.rows[0])
            except ValueError:  # nilearn refuses empty spheres; we report them
                expected = []
            got = sphere_members(
                np.array([seed]), [radius], shape, affine, mask if use_mask else None
            )[0]
            candidates = (
                np.flatnonzero(mask.ravel()) if use_mask else np.arange(mask.size)
            )
            assert np.searchsorted(candidates, got).tolist() == expected, (seed, radius)


def test_per_row_radius_and_names(tmp_path, bold_file):
    radii = [3.0, 6.0, np.nan]
    roi = write_seeds(
        tmp_path / "seeds.tsv", SEEDS[:3], radius=radii, name=["a", "b", "c"]
    )
    got, out = ours(bold_file, roi, radius=4.0, allow_overlap=True)
    assert out.timeseries[0].columns == ["a", "b", "c"]
    for column, (seed, radius) in enumerate(zip(SEEDS, [3.0, 6.0, 4.0])):
        expected = nilearn_spheres(bold_file, [seed], radius=radius)
        np.testing.assert_array_equal(got[:, column], expected[:, 0])


def test_overlap_is_an_error_naming_pairs(tmp_path, bold_file):
    seeds = [(0.0, 0.0, 0.0), (3.0, 0.0, 0.0), (-10.0, -14.0, -18.0)]
    roi = write_seeds(tmp_path / "seeds.tsv", seeds, name=["left", "right", "corner"])
    with pytest.raises(Exception, match=r"overlap.*left & right") as info:
        extract_timeseries([str(bold_file)], str(roi), radius=5.0)
    assert "corner" not in str(info.value).split("overlap")[1].split(".")[0]
    expected = nilearn_spheres(bold_file, seeds, radius=5.0, allow_overlap=True)
    got, _ = ours(bold_file, roi, radius=5.0, allow_overlap=True)
    np.testing.assert_array_equal(got, expected)


def test_empty_sphere_is_nan_column_with_warning(tmp_path, bold_file):
    seeds = [SEEDS[0], (500.0, 500.0, 500.0)]
    roi = write_seeds(tmp_path / "seeds.tsv", seeds, name=["in", "outside"])
    with pytest.warns(EmptyRegionWarning, match="'outside' has no voxels"):
        got, out = ours(bold_file, roi, radius=4.0, output_dir=str(tmp_path / "out"))
    assert np.isnan(got[:, 1]).all() and not np.isnan(got[:, 0]).any()
    np.testing.assert_array_equal(
        got[:, 0], nilearn_spheres(bold_file, seeds[:1], radius=4.0)[:, 0]
    )
    assert out.timeseries[0].sidecar["EmptyRegions"] == ["outside"]


def test_spheres_image_and_lut_are_written_and_reusable(tmp_path, bold_file):
    roi = write_seeds(tmp_path / "seeds.tsv", SEEDS[:3], name=["a", "b", "c"])
    out_dir = tmp_path / "out"
    got, _ = ours(bold_file, roi, radius=4.0, output_dir=str(out_dir))
    spheres = nib.load(out_dir / "niimasker_data" / "spheres_img.nii.gz")
    lut = pd.read_csv(out_dir / "niimasker_data" / "spheres_img_lut.tsv", sep="\t")
    assert lut["name"].tolist() == ["a", "b", "c"] and lut["index"].tolist() == [
        1,
        2,
        3,
    ]
    labels = np.asanyarray(spheres.dataobj)
    assert [int((labels == i).sum()) for i in (1, 2, 3)] == lut["voxels"].tolist()
    coverage = pd.read_csv(next(out_dir.glob("*_coverage.tsv")), sep="\t")
    assert coverage["voxels_used"].tolist() == lut["voxels"].tolist()
    again, _ = ours(
        bold_file,
        out_dir / "niimasker_data" / "spheres_img.nii.gz",
        labels=str(out_dir / "niimasker_data" / "spheres_img_lut.tsv"),
    )
    np.testing.assert_allclose(again, got, rtol=1e-6)


def test_overlapping_spheres_image_has_one_volume_per_sphere(tmp_path, bold_file):
    seeds = [SEEDS[0], (SEEDS[0][0] + 3.0, SEEDS[0][1], SEEDS[0][2]), SEEDS[1]]
    roi = write_seeds(tmp_path / "seeds.tsv", seeds)
    out_dir = tmp_path / "out"
    ours(bold_file, roi, radius=5.0, allow_overlap=True, output_dir=str(out_dir))
    spheres = nib.load(out_dir / "niimasker_data" / "spheres_img.nii.gz")
    lut = pd.read_csv(out_dir / "niimasker_data" / "spheres_img_lut.tsv", sep="\t")
    volumes = np.asanyarray(spheres.dataobj)
    assert volumes.shape[3] == 3 and (volumes.sum(axis=3) > 1).any()  # they overlap
    assert volumes.reshape(-1, 3).sum(axis=0).tolist() == lut["voxels"].tolist()
    for k, seed in enumerate(seeds):  # each volume is its sphere, in world space
        ijk = np.argwhere(volumes[..., k])
        xyz = nib.affines.apply_affine(spheres.affine, ijk)
        assert np.linalg.norm(xyz - seed, axis=1).max() <= 5.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("x\ty\n1\t2\n", "missing 'z'"),
        ("x\ty\tz\n1\tfoo\t3\n", "must hold numbers"),
        ("x\ty\tz\n", "no rows"),
    ],
)
def test_bad_coordinate_files(tmp_path, bold_file, text, match):
    roi = tmp_path / "seeds.tsv"
    roi.write_text(text)
    with pytest.raises(Exception, match=match):
        extract_timeseries([str(bold_file)], str(roi))


def test_as_voxels_gives_every_voxel_of_every_sphere(tmp_path, bold_file, affine):
    seeds = SEEDS[:2]
    roi = write_seeds(tmp_path / "seeds.tsv", seeds, name=["p", "q"])
    got, out = ours(bold_file, roi, radius=5.0, as_voxels=True)
    data = np.asanyarray(nib.load(bold_file).dataobj)
    img = nib.Nifti1Image(data, affine)
    _, adjacency = apply_mask_and_get_affinity(seeds, img, 5.0, False)
    expected_columns = [
        f"{name}_{i}_{j}_{k}"
        for name, row in zip(["p", "q"], adjacency.rows, strict=True)
        for i, j, k in zip(*np.unravel_index(row, data.shape[:3]), strict=True)
    ]
    assert out.timeseries[0].columns == expected_columns
    for column, name in enumerate(expected_columns):
        i, j, k = (int(v) for v in name.split("_")[1:])
        np.testing.assert_array_equal(got[:, column], data[i, j, k, :])


def test_strategy_other_than_mean_is_refused_for_spheres(tmp_path, bold_file):
    roi = write_seeds(tmp_path / "seeds.tsv", SEEDS[:2])
    with pytest.raises(Exception, match="NiftiSpheresMasker"):
        extract_timeseries([str(bold_file)], str(roi), strategy="median")
