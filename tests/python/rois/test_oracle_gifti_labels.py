"""GIFTI and FreeSurfer surface atlases on GIFTI runs, beside nilearn's SurfaceLabelsMasker.

A run sampled on a surface is two files, one per hemisphere (fMRIPrep:
``*_hemi-L_space-fsaverage5_bold.func.gii`` and ``hemi-R``); niimasker reads
them as one image, as nilearn reads a ``SurfaceImage`` of both halves.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.datasets import load_fsaverage
from nilearn.maskers import SurfaceLabelsMasker
from nilearn.surface import SurfaceImage
from surface_data import surface_series, write_func_gii, write_label_gii

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

N_REGIONS = 7  # per hemisphere


@pytest.fixture(scope="module")
def fsaverage5():
    return load_fsaverage("fsaverage5")["pial"]


def schaefer_like(rng: np.random.Generator, n: int, first: int) -> np.ndarray:
    """Keys first..first+N_REGIONS-1 and 0 (the medial wall) over n vertices."""
    keys = rng.integers(first, first + N_REGIONS, n)
    keys[rng.choice(n, n // 12, replace=False)] = 0
    return keys


@pytest.fixture
def run(tmp_path, rng, fsaverage5):
    """A two-hemisphere fsaverage5 run, and an atlas whose keys differ by side."""
    n = fsaverage5.parts["left"].n_vertices
    bold, atlas = {}, {}
    for hemi, first in (("L", 1), ("R", 1 + N_REGIONS)):
        data = surface_series(rng, n)
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, data, "CortexLeft" if hemi == "L" else "CortexRight")
        keys = schaefer_like(rng, n, first)
        names = {0: "Background+FreeSurfer_Defined_Medial_Wall"} | {
            k: f"7Networks_{hemi}H_net{k}" for k in range(first, first + N_REGIONS)
        }
        atlas_path = tmp_path / f"tpl-fsaverage5_hemi-{hemi}_atlas-toy_dseg.label.gii"
        write_label_gii(atlas_path, keys, names)
        bold[hemi], atlas[hemi] = (path, data), (atlas_path, keys, names)
    return bold, atlas


def nilearn_means(mesh, bold, atlas, **kwargs) -> np.ndarray:
    image = SurfaceImage(
        mesh=mesh, data={"left": str(bold["L"][0]), "right": str(bold["R"][0])}
    )
    labels = SurfaceImage(
        mesh=mesh, data={"left": atlas["L"][1], "right": atlas["R"][1]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SurfaceLabelsMasker(labels_img=labels, **kwargs).fit_transform(image)


def test_both_hemispheres_are_one_image_equal_to_nilearn(run, fsaverage5):
    bold, atlas = run
    result = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])], str(atlas["L"][0])
    )
    assert len(result.timeseries) == 1  # one table for the run, not one per half
    item = result.timeseries[0]
    assert item.stem == "sub-01_task-rest_space-fsaverage5_bold"
    expected = nilearn_means(fsaverage5, bold, atlas)
    np.testing.assert_allclose(item.data.to_numpy(), expected, rtol=1e-6)
    names = [atlas["L"][2][k] for k in range(1, 1 + N_REGIONS)]
    names += [atlas["R"][2][k] for k in range(1 + N_REGIONS, 1 + 2 * N_REGIONS)]
    assert list(item.data.columns) == names
    assert item.sidecar["Sources"] == [str(bold["L"][0]), str(bold["R"][0])]


def test_cleaning_equals_nilearns(run, fsaverage5):
    bold, atlas = run
    expected = nilearn_means(
        fsaverage5, bold, atlas, detrend=True, standardize="zscore_sample", t_r=0.8
    )
    got = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])],
        str(atlas["R"][0]),  # either half names the atlas
        detrend=True,
        standardize="zscore_sample",
    ).timeseries[0]
    assert got.t_r == pytest.approx(0.8)  # TimeStep, in ms
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-5, atol=1e-6)


def test_a_wildcard_finds_the_halves_and_the_command_writes_one_table(run, tmp_path):
    bold, atlas = run
    out = tmp_path / "out"
    pattern = str(tmp_path / "sub-*_bold.func.gii")
    assert main([str(out), "-i", pattern, "-r", str(atlas["L"][0])]) == 0
    tables = sorted(p.name for p in out.glob("*_timeseries.tsv"))
    assert tables == ["sub-01_task-rest_space-fsaverage5_bold_timeseries.tsv"]
    table = pd.read_csv(out / tables[0], sep="\t")
    assert table.shape == (30, 2 * N_REGIONS)


def test_one_hemisphere_alone_is_an_image(run, rng):
    bold, atlas = run
    with pytest.warns(errors.EmptyRegionWarning):
        item = extract_timeseries([str(bold["L"][0])], str(atlas["L"][0])).timeseries[0]
    data, keys = bold["L"][1], atlas["L"][1]
    expected = np.stack(
        [
            data[:, keys == k].mean(axis=1, dtype=np.float64)
            for k in range(1, 1 + N_REGIONS)
        ],
        1,
    )
    np.testing.assert_allclose(item.data.to_numpy()[:, :N_REGIONS], expected, rtol=1e-6)
    assert item.data.iloc[:, N_REGIONS:].isna().all().all()  # right: no vertex


def test_a_key_on_both_hemispheres_is_one_region_as_in_nilearn(
    tmp_path, rng, fsaverage5
):
    """FreeSurfer's aparc gives both sides the same keys: nilearn joins them."""
    n = fsaverage5.parts["left"].n_vertices
    bold, atlas = {}, {}
    for hemi in ("L", "R"):
        data = surface_series(rng, n, n_volumes=12)
        path = tmp_path / f"{hemi.lower()}h.bold.func.gii"
        write_func_gii(path, data, None)
        keys = rng.integers(0, 5, n)
        names = {k: f"area{k}" for k in range(5)}
        annot = tmp_path / f"{hemi.lower()}h.aparc.annot"
        colours = np.zeros((5, 5), dtype=np.int32)
        colours[:, 0] = 40 * np.arange(5)  # the colours make each key
        nib.freesurfer.write_annot(
            str(annot), keys.astype(np.int32), colours, [names[k] for k in range(5)]
        )
        bold[hemi], atlas[hemi] = (path, data), (annot, keys, names)
    got = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])], str(atlas["L"][0]), t_r=2.0
    ).timeseries[0]
    expected = nilearn_means(fsaverage5, bold, atlas)
    assert list(got.data.columns) == ["area1", "area2", "area3", "area4"]
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("intent", ["NIFTI_INTENT_TIME_SERIES", "NIFTI_INTENT_NONE"])
def test_a_single_array_reads_as_one_per_volume(run, tmp_path, intent):
    """Workbench writes one time-series array; nilearn one array of no intent."""
    bold, atlas = run
    paths = []
    for hemi in ("L", "R"):
        path = tmp_path / f"wb_hemi-{hemi}_bold.func.gii"
        write_func_gii(path, bold[hemi][1], None, one_array=True, intent=intent)
        paths.append(str(path))
    one = extract_timeseries(paths, str(atlas["L"][0]), t_r=0.8).timeseries[0]
    many = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])], str(atlas["L"][0])
    ).timeseries[0]
    np.testing.assert_allclose(one.data.to_numpy(), many.data.to_numpy())


def test_a_cifti_atlas_on_gifti_halves_matches_by_structure(run, tmp_path):
    """A .dlabel.nii on the same meshes gives the same regions as its GIFTI halves."""
    from nibabel.cifti2 import cifti2_axes
    from surface_data import write_dlabel

    bold, atlas = run
    n = len(atlas["L"][1])
    models = cifti2_axes.BrainModelAxis.from_mask(
        np.ones(n, bool), name="CortexLeft"
    ) + cifti2_axes.BrainModelAxis.from_mask(np.ones(n, bool), name="CortexRight")
    dlabel = tmp_path / "toy.dlabel.nii"
    names = atlas["L"][2] | atlas["R"][2]
    write_dlabel(
        dlabel, models, np.concatenate([atlas["L"][1], atlas["R"][1]]), names=names
    )
    files = [str(bold["L"][0]), str(bold["R"][0])]
    from_cifti = extract_timeseries(files, str(dlabel)).timeseries[0]
    from_gifti = extract_timeseries(files, str(atlas["L"][0])).timeseries[0]
    np.testing.assert_allclose(from_cifti.data.to_numpy(), from_gifti.data.to_numpy())
    assert list(from_cifti.data.columns) == list(from_gifti.data.columns)


def test_an_atlas_on_another_mesh_is_refused(run, tmp_path, rng):
    bold, _ = run
    small = tmp_path / "hemi-L_small.label.gii"
    write_label_gii(small, rng.integers(0, 3, 642), {0: "bg", 1: "a", 2: "b"})
    with pytest.raises(errors.RoiError, match="642-vertex mesh.*10242-vertex mesh"):
        extract_timeseries([str(bold["L"][0]), str(bold["R"][0])], str(small))


def test_halves_of_different_lengths_are_refused(run, tmp_path, rng):
    bold, atlas = run
    short = tmp_path / "sub-02_task-rest_hemi-R_space-fsaverage5_bold.func.gii"
    left = tmp_path / "sub-02_task-rest_hemi-L_space-fsaverage5_bold.func.gii"
    write_func_gii(left, bold["L"][1], "CortexLeft")
    write_func_gii(short, bold["R"][1][:20], "CortexRight")
    with pytest.raises(errors.InputFileError, match="number of volumes"):
        extract_timeseries([str(left), str(short)], str(atlas["L"][0]))


def test_a_file_of_no_known_hemisphere_is_refused(run, tmp_path):
    bold, atlas = run
    anonymous = tmp_path / "bold.func.gii"
    write_func_gii(anonymous, bold["L"][1], None)
    with pytest.raises(errors.InputFileError, match="which hemisphere"):
        extract_timeseries([str(anonymous)], str(atlas["L"][0]), t_r=0.8)


def test_an_atlas_given_as_the_image_is_refused(run):
    _, atlas = run
    with pytest.raises(errors.InputFileError, match="label file"):
        extract_timeseries([str(atlas["L"][0])], str(atlas["L"][0]), t_r=0.8)


def test_the_metadata_wins_over_the_name(run, tmp_path):
    """A file named hemi-R whose metadata says CortexLeft is the left hemisphere."""
    bold, atlas = run
    odd = tmp_path / "odd_hemi-R_bold.func.gii"
    write_func_gii(odd, bold["L"][1], "CortexLeft")
    item = extract_timeseries([str(odd)], str(atlas["L"][0])).timeseries[0]
    left = extract_timeseries([str(bold["L"][0])], str(atlas["L"][0])).timeseries[0]
    np.testing.assert_allclose(item.data.to_numpy(), left.data.to_numpy())


@pytest.mark.parametrize(
    ("written", "seconds"), [(800.0, 0.8), (2000.0, 2.0), (2.5, 2.5), (0.0, None)]
)
def test_the_time_step_is_read_in_its_unit(tmp_path, rng, written, seconds):
    from niimasker_core.domains.surface.gifti import read_gifti_t_r

    path = tmp_path / "hemi-L_bold.func.gii"
    write_func_gii(path, surface_series(rng, 50, 3), None, time_step_ms=written)
    assert read_gifti_t_r(str(path)) == (
        None if seconds is None else pytest.approx(seconds)
    )


def test_halves_are_joined_only_when_both_are_given():
    from niimasker_core.domains.registry import join_halves

    files = [
        "a/sub-01_hemi-L_bold.func.gii",
        "a/sub-01_hemi-R_bold.func.gii",
        "a/sub-02_hemi-R_bold.func.gii",
        "a/sub-03_bold.nii.gz",
    ]
    assert join_halves(files) == [
        ("a/sub-01_hemi-L_bold.func.gii", ("a/sub-01_hemi-R_bold.func.gii",)),
        ("a/sub-02_hemi-R_bold.func.gii", ()),
        ("a/sub-03_bold.nii.gz", ()),
    ]


def test_hemisphere_names(tmp_path):
    from niimasker_core.domains.surface.hemispheres import (
        other_half,
        without_hemisphere,
    )

    assert Path(other_half("x/lh.aparc.annot")).name == "rh.aparc.annot"
    assert Path(other_half("S.R.label.gii")).name == "S.L.label.gii"
    assert other_half("bold.func.gii") == ""
    assert without_hemisphere("sub-01_hemi-L_bold") == "sub-01_bold"
    assert without_hemisphere("hemi-R_atlas") == "atlas"
    assert without_hemisphere("lh.bold") == "bold"
    assert without_hemisphere("S.L.bold") == "S.bold"


def test_keys_naming_other_regions_on_each_side_stay_two_regions(tmp_path, rng):
    """Schaefer's annots number 1..N on each side with LH_/RH_ names: 2N columns."""
    n = 300
    data, keys = {}, {}
    paths = []
    for hemi in ("L", "R"):
        data[hemi] = surface_series(rng, n, n_volumes=10)
        path = tmp_path / f"{hemi.lower()}h.bold.func.gii"
        write_func_gii(path, data[hemi], None)
        paths.append(str(path))
        keys[hemi] = rng.integers(0, 4, n)
        names = {0: "Medial_Wall"} | {k: f"{hemi}H_net{k}" for k in range(1, 4)}
        names[3] = "shared"  # the same key and name on both sides: one region
        write_label_gii(
            tmp_path / f"{hemi.lower()}h.atlas.label.gii", keys[hemi], names
        )
    got = extract_timeseries(paths, str(tmp_path / "lh.atlas.label.gii"), t_r=2.0)
    table = got.timeseries[0].data
    assert list(table.columns) == [
        "LH_net1", "LH_net2", "shared", "RH_net1", "RH_net2"
    ]  # fmt: skip
    both = np.hstack([data["L"], data["R"]])
    every = np.concatenate([keys["L"], keys["R"]])
    side = np.repeat(["L", "R"], n)
    for column, (hemi, key) in {
        "LH_net1": ("L", 1),
        "RH_net2": ("R", 2),
        "shared": (None, 3),
    }.items():
        members = (every == key) & ((side == hemi) if hemi else True)
        expected = both[:, members].mean(axis=1, dtype=np.float64)
        np.testing.assert_allclose(table[column], expected, rtol=1e-6)


def test_confounds_pair_by_entities_and_clean_as_nilearn(
    run, tmp_path, fsaverage5, rng
):
    """The pair's confounds file is found by its entities, hemi ignored."""
    from fmriprep_tree import fmriprep_table, write_confounds

    bold, atlas = run
    table, meta = fmriprep_table(30, rng)
    confounds = write_confounds(
        tmp_path / "conf" / "sub-01_task-rest_desc-confounds_timeseries.tsv",
        table,
        meta,
    )
    motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    got = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])],
        str(atlas["L"][0]),
        regressor_files=[str(confounds)],
        regressors=motion,
        standardize="zscore_sample",
    ).timeseries[0]
    assert got.sidecar["ConfoundColumns"] == motion
    from nilearn.signal import clean

    expected = clean(
        nilearn_means(fsaverage5, bold, atlas),
        confounds=table[motion].to_numpy(),
        standardize="zscore_sample",
        t_r=0.8,
        detrend=False,
    )
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-5, atol=1e-5)


def test_two_surface_atlases_from_one_read_equal_separate_runs(run, tmp_path, rng):
    bold, atlas = run
    files = [str(bold["L"][0]), str(bold["R"][0])]
    coarse = tmp_path / "hemi-L_coarse.label.gii"
    write_label_gii(coarse, (atlas["L"][1] > 3).astype(int), {0: "bg", 1: "back"})
    both = extract_timeseries(files, [f"fine={atlas['L'][0]}", f"coarse={coarse}"])
    fine = extract_timeseries(files, str(atlas["L"][0])).timeseries[0]
    alone = extract_timeseries(files, str(coarse)).timeseries[0]
    by_set = {item.atlas: item for item in both.timeseries}
    np.testing.assert_array_equal(by_set["fine"].data.to_numpy(), fine.data.to_numpy())
    np.testing.assert_array_equal(
        by_set["coarse"].data.to_numpy(), alone.data.to_numpy()
    )


def test_t_r_disagreeing_with_a_gifti_header_names_gifti(tmp_path, rng):
    """The warning names the file's own kind of header, not NIfTI's."""
    paths = []
    for hemi in ("L", "R"):
        path = tmp_path / f"{hemi.lower()}h.bold.func.gii"
        write_func_gii(path, surface_series(rng, 50, n_volumes=6), None)
        paths.append(str(path))
        write_label_gii(
            tmp_path / f"{hemi.lower()}h.atlas.label.gii",
            rng.integers(0, 3, 50),
            {0: "wall", 1: "a", 2: "b"},
        )
    with pytest.warns(
        errors.RepetitionTimeWarning, match="the GIFTI TimeStep says 0.8 s"
    ):
        extract_timeseries(paths, str(tmp_path / "lh.atlas.label.gii"), t_r=2.0)
