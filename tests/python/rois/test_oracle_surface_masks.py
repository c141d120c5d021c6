"""Surface ``mask_img`` with surface atlases, beside nilearn and ``wb_command``.

A vertex mask (a CIFTI ``.dscalar.nii``, or a GIFTI ``.shape.gii``/``.label.gii``
pair; non-zero inside) keeps each region's vertices inside it, as nilearn's
``SurfaceLabelsMasker(mask_img=...)`` does and as ``wb_command
-cifti-parcellate -cifti-weights`` does with 0/1 weights; the coverage table
counts what it keeps.
"""

from __future__ import annotations

import subprocess
import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.datasets import load_fsaverage
from nilearn.maskers import SurfaceLabelsMasker
from nilearn.surface import SurfaceImage
from surface_data import (
    brain_models,
    random_keys,
    surface_series,
    write_dlabel,
    write_dscalar,
    write_dtseries,
    write_func_gii,
    write_label_gii,
    write_shape_gii,
)

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

NAMES = {0: "???", 1: "a", 2: "b", 3: "c", 4: "d"}


@pytest.fixture(scope="module")
def fsaverage5():
    return load_fsaverage("fsaverage5")["pial"]


@pytest.fixture
def run(tmp_path, rng, fsaverage5):
    """An fsaverage5 GIFTI run, a 4-region atlas pair and a vertex mask pair."""
    n = fsaverage5.parts["left"].n_vertices
    bold, keys, mask = {}, {}, {}
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        data = surface_series(rng, n, 12)
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, data, structure)
        bold[hemi] = (path, data)
        keys[hemi] = rng.integers(0, 5, n)
        write_label_gii(tmp_path / f"hemi-{hemi}_atlas.label.gii", keys[hemi], NAMES)
        mask[hemi] = rng.random(n) < 0.6
        write_shape_gii(
            tmp_path / f"hemi-{hemi}_desc-brain_mask.shape.gii",
            mask[hemi].astype(np.float32)[:, None],
            structure,
        )
    return bold, keys, mask, tmp_path


def nilearn_means(mesh, bold, keys, mask) -> np.ndarray:
    image = SurfaceImage(
        mesh=mesh, data={"left": str(bold["L"][0]), "right": str(bold["R"][0])}
    )
    labels = SurfaceImage(mesh=mesh, data={"left": keys["L"], "right": keys["R"]})
    mask_img = SurfaceImage(mesh=mesh, data={"left": mask["L"], "right": mask["R"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masker = SurfaceLabelsMasker(labels_img=labels, mask_img=mask_img)
        return masker.fit_transform(image)


def test_a_gifti_mask_equals_nilearns_and_is_counted(run, fsaverage5):
    bold, keys, mask, tmp = run
    files = [str(bold["L"][0]), str(bold["R"][0])]
    atlas = str(tmp / "hemi-L_atlas.label.gii")
    mask_img = str(tmp / "hemi-L_desc-brain_mask.shape.gii")
    got = extract_timeseries(files, atlas, mask_img=mask_img).timeseries[0]
    expected = nilearn_means(fsaverage5, bold, keys, mask)
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-6)
    unmasked = extract_timeseries(files, atlas).timeseries[0]
    assert not np.allclose(unmasked.data.to_numpy(), expected, rtol=1e-4)
    assert (
        main([str(tmp / "out"), "-i", *files, "-r", atlas, "--mask_img", mask_img]) == 0
    )
    coverage = pd.read_csv(
        tmp / "out" / "sub-01_task-rest_space-fsaverage5_bold_coverage.tsv", sep="\t"
    )
    labels = np.concatenate([keys["L"], keys["R"]])
    inside = np.concatenate([mask["L"], mask["R"]])
    assert coverage["voxels_in_roi"].tolist() == [
        int(np.sum(labels == k)) for k in range(1, 5)
    ]
    assert coverage["voxels_used"].tolist() == [
        int(np.sum((labels == k) & inside)) for k in range(1, 5)
    ]


def test_a_label_gii_mask_is_nonzero_inside(run, fsaverage5):
    bold, keys, mask, tmp = run
    for hemi in ("L", "R"):
        write_label_gii(
            tmp / f"hemi-{hemi}_desc-cortex_mask.label.gii",
            mask[hemi].astype(np.int32) * 7,
            {0: "out", 7: "cortex"},
            "CortexLeft" if hemi == "L" else "CortexRight",
        )
    got = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])],
        str(tmp / "hemi-L_atlas.label.gii"),
        mask_img=str(tmp / "hemi-L_desc-cortex_mask.label.gii"),
    ).timeseries[0]
    expected = nilearn_means(fsaverage5, bold, keys, mask)
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-6)


def test_a_cifti_mask_equals_wb_command_weights(tmp_path, rng, wb_command):
    """0/1 weights in ``-cifti-weights`` are a mask; subcortical voxels included."""
    models = brain_models(rng)
    series = tmp_path / "sub-01_task-rest_bold.dtseries.nii"
    write_dtseries(series, models, rng)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    inside = rng.random(len(models)) < 0.6
    mask = tmp_path / "mask.dscalar.nii"
    write_dscalar(mask, models, inside[None, :].astype(np.float32))
    out = tmp_path / "wb.ptseries.nii"
    subprocess.run(
        [
            wb_command,
            "-cifti-parcellate",
            str(series),
            str(atlas),
            "COLUMN",
            str(out),
            "-method",
            "MEAN",
            "-cifti-weights",
            str(mask),
        ],
        check=True,
        capture_output=True,
    )
    img = nib.load(out)
    expected = pd.DataFrame(img.get_fdata(), columns=list(img.header.get_axis(1).name))
    got = extract_timeseries([str(series)], str(atlas), mask_img=str(mask))
    data = got.timeseries[0].data
    assert list(data.columns) == list(expected.columns)
    np.testing.assert_allclose(data.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_a_mask_leaves_out_what_it_does_not_cover(tmp_path, rng):
    """A GIFTI mask on a CIFTI run keeps no subcortical voxel; whole-mesh masks fit a
    run without the medial wall, by vertex."""
    models = brain_models(rng)
    series = tmp_path / "sub-01_task-rest_bold.dtseries.nii"
    data = write_dtseries(series, models, rng)
    keys = random_keys(models, rng)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, keys)
    whole = {"L": rng.random(240) < 0.5, "R": rng.random(260) < 0.5}
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        write_shape_gii(
            tmp_path / f"hemi-{hemi}_mask.shape.gii",
            whole[hemi].astype(np.float32)[:, None],
            structure,
        )
    got = extract_timeseries(
        [str(series)], str(atlas), mask_img=str(tmp_path / "hemi-L_mask.shape.gii")
    ).timeseries[0]
    inside = np.zeros(len(models), bool)
    for name, mesh in (
        ("CIFTI_STRUCTURE_CORTEX_LEFT", "L"),
        ("CIFTI_STRUCTURE_CORTEX_RIGHT", "R"),
    ):
        rows = np.flatnonzero(models.name == name)
        inside[rows] = whole[mesh][models.vertex[rows]]
    expected = np.stack(
        [
            data[:, (keys == k) & inside].mean(axis=1, dtype=np.float64)
            for k in np.unique(keys[keys > 0])
        ],
        1,
    )
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-6)


def test_a_mask_on_another_mesh_is_one_line_naming_both(run, rng):
    bold, _, _, tmp = run
    small = tmp / "hemi-L_small_mask.shape.gii"
    write_shape_gii(small, np.ones((642, 1), np.float32), "CortexLeft")
    files = [str(bold["L"][0]), str(bold["R"][0])]
    with pytest.raises(errors.RoiError) as caught:
        extract_timeseries(
            files, str(tmp / "hemi-L_atlas.label.gii"), mask_img=str(small)
        )
    message = str(caught.value)
    assert "\n" not in message and "'mask_img'" in message
    assert str(small) in message and all(f in message for f in files)
    assert "642-vertex mesh" in message and "10242-vertex mesh" in message


def test_an_atlas_on_another_density_is_one_line_naming_both(run, tmp_path, rng):
    """fsaverage5 data, an fsLR 32k-sized CIFTI atlas: both files and meshes named."""
    from nibabel.cifti2 import cifti2_axes

    bold, _, _, _ = run
    models = cifti2_axes.BrainModelAxis.from_mask(
        np.ones(32492, bool), name="CortexLeft"
    ) + cifti2_axes.BrainModelAxis.from_mask(np.ones(32492, bool), name="CortexRight")
    atlas = tmp_path / "tpl-fsLR_den-32k_atlas.dlabel.nii"
    write_dlabel(atlas, models, rng.integers(0, 4, len(models)))
    files = [str(bold["L"][0]), str(bold["R"][0])]
    with pytest.raises(errors.RoiError) as caught:
        extract_timeseries(files, str(atlas))
    message = str(caught.value)
    assert "\n" not in message
    assert str(atlas) in message and all(f in message for f in files)
    assert "32492-vertex mesh" in message and "10242-vertex mesh" in message


def test_a_volume_mask_with_a_surface_atlas_is_refused(run, tmp_path, rng, affine):
    from conftest import make_atlas

    bold, _, _, tmp = run
    volume = tmp_path / "mask.nii.gz"
    make_atlas(rng, affine).to_filename(volume)
    with pytest.raises(errors.RoiError, match="not a surface mask"):
        extract_timeseries(
            [str(bold["L"][0])],
            str(tmp / "hemi-L_atlas.label.gii"),
            mask_img=str(volume),
        )
