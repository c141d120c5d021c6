"""Surface maps as ROIs (.dscalar.nii, .shape.gii pairs), beside nilearn's SurfaceMapsMasker.

Each map is a region; a volume's signals are the least-squares fit of its
vertices on the maps, as nilearn's ``SurfaceMapsMasker`` (and
``NiftiMapsMasker``) solves it. The GIFTI pair and its CIFTI twin give the
same numbers; CIFTI maps match the image by structure and vertex.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from nibabel.cifti2 import cifti2_axes
from nilearn.datasets import load_fsaverage
from nilearn.maskers import SurfaceMapsMasker
from nilearn.surface import SurfaceImage
from surface_data import (
    brain_models,
    surface_series,
    write_dscalar,
    write_dtseries,
    write_func_gii,
    write_shape_gii,
)

from niimasker_core import errors
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

N_MAPS = 4
N_VOLUMES = 20


@pytest.fixture(scope="module")
def fsaverage5():
    return load_fsaverage("fsaverage5")["pial"]


def random_maps(rng: np.random.Generator, n: int) -> np.ndarray:
    """``(vertices, maps)`` overlapping non-negative weights, many vertices in none."""
    maps = np.clip(rng.normal(0.2, 1, (n, N_MAPS)), 0, None)
    maps[rng.random(n) < 0.3] = 0
    return maps.astype(np.float32)


@pytest.fixture
def twins(tmp_path, rng, fsaverage5):
    """An fsaverage5 run and maps, as GIFTI pairs and as their CIFTI twins."""
    n = fsaverage5.parts["left"].n_vertices
    names = [f"component{i}" for i in range(1, N_MAPS + 1)]
    bold, maps = {}, {}
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        data = surface_series(rng, n, N_VOLUMES)
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, data, structure)
        bold[hemi] = (path, data)
        maps[hemi] = random_maps(rng, n)
        write_shape_gii(
            tmp_path / f"hemi-{hemi}_desc-ica_maps.shape.gii",
            maps[hemi],
            structure,
            names,
        )
    models = cifti2_axes.BrainModelAxis.from_mask(
        np.ones(n, bool), name="CortexLeft"
    ) + cifti2_axes.BrainModelAxis.from_mask(np.ones(n, bool), name="CortexRight")
    series = tmp_path / "sub-01_task-rest_space-fsaverage5_bold.dtseries.nii"
    both = np.hstack([bold["L"][1], bold["R"][1]])
    from nibabel import Cifti2Image

    axis = cifti2_axes.SeriesAxis(0, 0.8, N_VOLUMES, unit="SECOND")
    Cifti2Image(both, header=(axis, models)).to_filename(str(series))
    dscalar = tmp_path / "desc-ica_maps.dscalar.nii"
    write_dscalar(dscalar, models, np.vstack([maps["L"], maps["R"]]).T, names)
    return bold, maps, series, dscalar, tmp_path / "hemi-L_desc-ica_maps.shape.gii"


def nilearn_fit(mesh, bold, maps, mask=None, **kwargs) -> np.ndarray:
    image = SurfaceImage(
        mesh=mesh, data={"left": str(bold["L"][0]), "right": str(bold["R"][0])}
    )
    maps_img = SurfaceImage(mesh=mesh, data={"left": maps["L"], "right": maps["R"]})
    mask_img = (
        None
        if mask is None
        else SurfaceImage(mesh=mesh, data={"left": mask["L"], "right": mask["R"]})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        masker = SurfaceMapsMasker(maps_img=maps_img, mask_img=mask_img, **kwargs)
        return masker.fit_transform(image)


def close_to_nilearn(got: np.ndarray, expected: np.ndarray) -> None:
    """nilearn solves in float32: equal to 1e-6 of the signals' scale."""
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=1e-6 * np.abs(expected).max()
    )


def test_gifti_maps_equal_nilearn_and_the_cifti_twin(twins, fsaverage5):
    bold, maps, series, dscalar, shape_gii = twins
    files = [str(bold["L"][0]), str(bold["R"][0])]
    gifti = extract_timeseries(files, str(shape_gii)).timeseries[0]
    close_to_nilearn(gifti.data.to_numpy(), nilearn_fit(fsaverage5, bold, maps))
    assert list(gifti.data.columns) == [f"component{i}" for i in range(1, 5)]
    cifti = extract_timeseries([str(series)], str(dscalar)).timeseries[0]
    assert list(cifti.data.columns) == list(gifti.data.columns)  # map names
    np.testing.assert_allclose(
        cifti.data.to_numpy(), gifti.data.to_numpy(), rtol=1e-6, atol=1e-9
    )
    renamed = extract_timeseries(files, str(shape_gii), labels=list("abcd"))
    assert list(renamed.timeseries[0].data.columns) == list("abcd")
    cross = extract_timeseries(files, str(dscalar)).timeseries[0]  # CIFTI maps on GIFTI
    np.testing.assert_allclose(cross.data.to_numpy(), gifti.data.to_numpy(), rtol=1e-6)


def test_the_fit_is_lstsq_in_float64(twins):
    bold, maps, _, _, shape_gii = twins
    files = [str(bold["L"][0]), str(bold["R"][0])]
    got = extract_timeseries(files, str(shape_gii)).timeseries[0].data.to_numpy()
    weights = np.vstack([maps["L"], maps["R"]]).astype(np.float64)
    values = np.hstack([bold["L"][1], bold["R"][1]]).astype(np.float64)
    expected = np.linalg.lstsq(weights, values.T, rcond=None)[0].T
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # float32 output


def test_cleaning_equals_nilearns(twins):
    """The fit, cleaned by nilearn's ``signal.clean`` (nilearn's float32 fit differs by
    up to 1e-3 once standardized, as for volume maps: see the README)."""
    from nilearn.signal import clean

    bold, maps, _, _, shape_gii = twins
    weights = np.vstack([maps["L"], maps["R"]]).astype(np.float64)
    values = np.hstack([bold["L"][1], bold["R"][1]]).astype(np.float64)
    fit = np.linalg.lstsq(weights, values.T, rcond=None)[0].T.astype(np.float32)
    expected = clean(fit, detrend=True, standardize="zscore_sample", t_r=0.8)
    got = extract_timeseries(
        [str(bold["L"][0]), str(bold["R"][0])],
        str(shape_gii),
        detrend=True,
        standardize="zscore_sample",
    ).timeseries[0]
    np.testing.assert_allclose(got.data.to_numpy(), expected, atol=1e-5)


def test_a_mask_keeps_its_vertices_as_nilearns(twins, fsaverage5, tmp_path, rng):
    bold, maps, series, dscalar, shape_gii = twins
    n = len(maps["L"])
    mask = {h: rng.random(n) < 0.7 for h in ("L", "R")}
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        write_shape_gii(
            tmp_path / f"hemi-{hemi}_mask.shape.gii",
            mask[hemi].astype(np.float32)[:, None],
            structure,
        )
    files = [str(bold["L"][0]), str(bold["R"][0])]
    got = extract_timeseries(
        files, str(shape_gii), mask_img=str(tmp_path / "hemi-L_mask.shape.gii")
    ).timeseries[0]
    expected = nilearn_fit(fsaverage5, bold, maps, mask=mask)
    close_to_nilearn(got.data.to_numpy(), expected)
    unmasked = extract_timeseries(files, str(shape_gii)).timeseries[0]
    assert not np.allclose(unmasked.data.to_numpy(), expected, rtol=1e-4)
    out = tmp_path / "out"
    mask_img = str(tmp_path / "hemi-L_mask.shape.gii")
    assert (
        main([str(out), "-i", *files, "-r", str(shape_gii), "--mask_img", mask_img])
        == 0
    )
    coverage = pd.read_csv(
        out / "sub-01_task-rest_space-fsaverage5_bold_coverage.tsv", sep="\t"
    )
    inside = np.concatenate([mask["L"], mask["R"]])
    weights = np.vstack([maps["L"], maps["R"]])
    assert coverage["voxels_in_roi"].tolist() == np.count_nonzero(weights, 0).tolist()
    assert coverage["voxels_used"].tolist() == (
        np.count_nonzero(weights[inside], 0).tolist()
    )
    # the fraction is the share of each map's |weight| inside the mask (issue 21, item 15)
    share = np.abs(weights[inside]).sum(0) / np.abs(weights).sum(0)
    assert np.allclose(coverage["fraction"], share, rtol=1e-5)


def test_cifti_maps_match_by_structure_and_vertex(tmp_path, rng):
    """Maps on whole meshes and a subcortical structure, on a run without the medial wall."""
    run_models = brain_models(rng)
    map_models = brain_models(rng, medial_wall=False)  # every vertex, other order
    series = tmp_path / "sub-01_task-rest_bold.dtseries.nii"
    data = write_dtseries(series, run_models, rng, n_volumes=N_VOLUMES)
    maps = random_maps(rng, len(map_models))
    dscalar = tmp_path / "maps.dscalar.nii"
    write_dscalar(dscalar, map_models, maps.T)
    got = extract_timeseries([str(series)], str(dscalar)).timeseries[0]
    assert list(got.data.columns) == [f"map{i}" for i in range(1, 5)]
    # the maps' rows that are the run's grayordinates, by structure and vertex
    where = {
        (name, int(v) if v.ndim == 0 else tuple(v)): i
        for i, (name, v) in enumerate(zip(map_models.name, _positions(map_models)))
    }
    rows = [
        where[(n, int(v) if v.ndim == 0 else tuple(v))]
        for n, v in zip(run_models.name, _positions(run_models))
    ]
    expected = np.linalg.lstsq(
        maps[rows].astype(np.float64), data.T.astype(np.float64), rcond=None
    )[0].T
    np.testing.assert_allclose(got.data.to_numpy(), expected, rtol=1e-5)


def _positions(models: cifti2_axes.BrainModelAxis) -> list[np.ndarray]:
    return [
        np.asarray(vertex) if vertex >= 0 else np.asarray(voxel)
        for vertex, voxel in zip(models.vertex, models.voxel)
    ]


def test_overlap_refused_when_not_allowed(twins):
    bold, _, _, _, shape_gii = twins
    with pytest.raises(errors.RoiError, match="overlap.*allow_overlap"):
        extract_timeseries(
            [str(bold["L"][0]), str(bold["R"][0])], str(shape_gii), allow_overlap=False
        )


def test_maps_on_another_mesh_are_one_line_naming_both(twins, tmp_path, rng):
    bold, _, _, _, _ = twins
    small = tmp_path / "hemi-L_small.shape.gii"
    write_shape_gii(small, random_maps(rng, 642), "CortexLeft")
    files = [str(bold["L"][0]), str(bold["R"][0])]
    with pytest.raises(errors.RoiError) as caught:
        extract_timeseries(files, str(small))
    message = str(caught.value)
    assert "\n" not in message
    assert str(small) in message and all(f in message for f in files)
    assert "642-vertex mesh" in message and "10242-vertex mesh" in message


def test_volume_images_and_options_are_refused(twins, bold_file):
    _, _, _, dscalar, _ = twins
    with pytest.raises(errors.RoiError, match="not a surface image"):
        extract_timeseries([str(bold_file)], str(dscalar))
    with pytest.raises(errors.RoiError, match="'strategy' do not apply"):
        extract_timeseries([str(bold_file)], str(dscalar), strategy="median")


def test_func_gii_maps_of_one_two_dimensional_array(twins, tmp_path):
    """nilearn writes maps as one (vertices, maps) DataArray in a .func.gii pair."""
    import nibabel as nib

    bold, maps, _, _, shape_gii = twins
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        array = nib.gifti.GiftiDataArray(maps[hemi], datatype="NIFTI_TYPE_FLOAT32")
        meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": structure})
        nib.save(
            nib.gifti.GiftiImage(darrays=[array], meta=meta),
            str(tmp_path / f"hemi-{hemi}_maps.func.gii"),
        )
    files = [str(bold["L"][0]), str(bold["R"][0])]
    got = extract_timeseries(files, str(tmp_path / "hemi-L_maps.func.gii")).timeseries[
        0
    ]
    assert list(got.data.columns) == [str(i) for i in range(1, N_MAPS + 1)]
    named = extract_timeseries(files, str(shape_gii)).timeseries[0]
    np.testing.assert_allclose(got.data.to_numpy(), named.data.to_numpy(), rtol=1e-6)
