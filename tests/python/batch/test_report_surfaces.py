"""The report of surface runs: the atlas on fsaverage5's mesh, or one line saying why not."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import nibabel as nib
import numpy as np
import pytest
from nilearn.datasets import fetch_surf_fsaverage
from surface_data import (
    brain_models,
    random_keys,
    surface_series,
    write_dlabel,
    write_dtseries,
    write_func_gii,
    write_label_gii,
)

from niimasker_core.batch.report.figures import region_colours
from niimasker_core.batch.report.surface_views import BACKGROUND
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

N_REGIONS = 7  # per hemisphere
_OVERLAY = re.compile(r'alt="ROI overlay" src="data:image/png;base64,([^"]+)"')


def _rgb(png: bytes) -> np.ndarray:
    """Decode an 8-bit RGB PNG written with filter 0 (the report's own)."""
    pos, chunks = 8, {}
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        chunks[kind] = chunks.get(kind, b"") + png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8)
    rows = rows.reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


@pytest.fixture(scope="module")
def inflated():
    paths = fetch_surf_fsaverage("fsaverage5")
    return {
        h: nib.load(paths[f"infl_{h}"]).agg_data("pointset") for h in ("left", "right")
    }


@pytest.fixture
def gifti_run(tmp_path, rng, inflated):
    """A fsaverage5 pair: 7 bands front to back per side, a medial wall of key 0."""
    files, atlas = [], None
    for hemi, side, first in (("L", "left", 1), ("R", "right", 1 + N_REGIONS)):
        coords = inflated[side]
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, surface_series(rng, len(coords), n_volumes=6), None)
        files.append(str(path))
        span = np.ptp(coords[:, 1])
        bands = ((coords[:, 1] - coords[:, 1].min()) / span * N_REGIONS).astype(int)
        keys = first + np.minimum(bands, N_REGIONS - 1)
        inward = coords[:, 0] if side == "left" else -coords[:, 0]
        keys[inward > 25] = 0  # the flat medial face of the inflated mesh
        names = {0: "Medial_Wall"} | {k: f"net{k}" for k in range(first, first + 7)}
        label = tmp_path / f"tpl-fsaverage5_hemi-{hemi}_atlas-bands_dseg.label.gii"
        write_label_gii(label, keys, names)
        atlas = atlas or str(label)
    return files, atlas


def _shaded_from(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Which pixels are ``colour`` times a shade in (0.3, 1], to rounding."""
    colour = colour.astype(np.float64)
    shade = pixels.astype(np.float64) @ colour / (colour @ colour)
    error = np.abs(pixels - shade[..., None] * colour).max(axis=-1)
    return (shade > 0.3) & (shade <= 1.01) & (error <= 1.5)


def test_a_fsaverage5_run_shows_its_regions_on_the_mesh(tmp_path, gifti_run):
    files, atlas = gifti_run
    extract_timeseries(files, atlas, str(tmp_path / "out"))
    text = (tmp_path / "out" / "report.html").read_text()
    assert "Regions on the surface" in text and "fsaverage5" in text
    assert len(text) < 2_000_000
    picture = _rgb(base64.b64decode(_OVERLAY.search(text).group(1)))
    height, width, _ = picture.shape
    assert 300 < width < 1000 and 200 < height < 800
    drawn = (picture != BACKGROUND).any(axis=-1)
    colours = region_colours(2 * N_REGIONS)
    for k, colour in enumerate(colours):
        hits = _shaded_from(picture, colour)
        assert hits.sum() > 100, f"region {k + 1} is not drawn"
        # the left hemisphere's regions in the left column, the right's in the right
        column = np.flatnonzero(hits.any(axis=0)).mean()
        assert (column < width / 2) == (k < N_REGIONS)
    grey = drawn & (picture.max(axis=-1) == picture.min(axis=-1))
    lateral, medial = grey[: height // 2], grey[height // 2 :]
    # the medial wall shows grey in the medial views, hardly in the lateral ones
    assert medial.sum() > 0.2 * drawn[height // 2 :].sum()
    assert lateral.sum() < 0.05 * drawn[: height // 2].sum()


def test_a_cifti_run_without_a_known_mesh_says_why(tmp_path, rng):
    models = brain_models(rng)
    run = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    write_dtseries(run, models, rng, n_volumes=8)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    extract_timeseries([str(run)], str(atlas), str(tmp_path / "out"))
    text = (tmp_path / "out" / "report.html").read_text()
    assert not _OVERLAY.search(text)
    why = re.search(r'<p class="note">(No atlas picture[^<]*)</p>', text).group(1)
    assert "240 and 260 vertices" in why and "fsaverage5" in why
    assert "Carpet plot" in text


def _write_sheet(path, rows: int, columns: int, structure: str) -> None:
    """Write a GIFTI mesh of ``rows * columns`` vertices: a bent sheet facing sideways."""
    y, z = np.meshgrid(np.linspace(-60, 60, columns), np.linspace(-40, 40, rows))
    x = -0.002 * (y**2 + z**2)  # bulging out to the left
    x = x if structure == "CortexLeft" else -x
    coords = np.column_stack([x.ravel(), y.ravel(), z.ravel()]).astype(np.float32)
    v = (np.arange(rows - 1)[:, None] * columns + np.arange(columns - 1)).ravel()
    faces = np.concatenate(
        [
            np.column_stack([v, v + 1, v + columns]),
            np.column_stack([v + 1, v + columns + 1, v + columns]),
        ]
    ).astype(np.int32)
    meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": structure})
    arrays = [
        nib.gifti.GiftiDataArray(coords, intent="NIFTI_INTENT_POINTSET", meta=meta),
        nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE"),
    ]
    nib.save(nib.gifti.GiftiImage(darrays=arrays), str(path))


@pytest.fixture
def cifti_run(tmp_path, rng):
    models = brain_models(rng)  # cortices of 240 and 260 vertices, a thalamus
    run = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    write_dtseries(run, models, rng, n_volumes=8)
    atlas = tmp_path / "atlas.dlabel.nii"
    keys = random_keys(models, rng)
    write_dlabel(atlas, models, keys)
    return run, atlas, keys


def test_surf_mesh_draws_a_run_of_any_density(tmp_path, cifti_run):
    run, atlas, keys = cifti_run
    _write_sheet(tmp_path / "tpl-toy_hemi-L_inflated.surf.gii", 12, 20, "CortexLeft")
    _write_sheet(tmp_path / "tpl-toy_hemi-R_inflated.surf.gii", 13, 20, "CortexRight")
    mesh = str(tmp_path / "tpl-toy_hemi-L_inflated.surf.gii")
    extract_timeseries([str(run)], str(atlas), str(tmp_path / "out"), surf_mesh=mesh)
    text = (tmp_path / "out" / "report.html").read_text()
    assert "tpl-toy_hemi-L_inflated.surf.gii" in text
    picture = _rgb(base64.b64decode(_OVERLAY.search(text).group(1)))
    colours = region_colours(int(keys.max()))
    for k in np.unique(keys[keys > 0]):
        assert _shaded_from(picture, colours[k - 1]).sum() > 20, f"region {k}"
    grey = (picture != BACKGROUND).any(axis=-1) & (np.ptp(picture, axis=-1) == 0)
    assert grey.any()  # the medial wall the run leaves out, key 0


def test_a_surf_mesh_of_another_density_is_said_not_drawn(tmp_path, cifti_run, capsys):
    run, atlas, _ = cifti_run
    _write_sheet(tmp_path / "lh.other.surf.gii", 12, 21, "CortexLeft")
    _write_sheet(tmp_path / "rh.other.surf.gii", 13, 20, "CortexRight")
    mesh = str(tmp_path / "rh.other.surf.gii")  # the right half brings the left
    args = [str(tmp_path / "out"), "-i", str(run), "-r", str(atlas)]
    assert main([*args, "--surf_mesh", mesh]) == 0
    assert "no atlas picture: 'surf_mesh' has 252 vertices" in capsys.readouterr().err
    text = (tmp_path / "out" / "report.html").read_text()
    assert not _OVERLAY.search(text)
    why = re.search(r'<p class="note">(No atlas picture[^<]*)</p>', text).group(1)
    assert "252 vertices in its left hemisphere, the run 240" in why


@pytest.mark.parametrize("hemisphere", ["left", "right"])
def test_the_mesh_found_without_importing_nilearn_is_nilearns_fsaverage5(hemisphere):
    from niimasker_core.batch.report import meshes

    expected = fetch_surf_fsaverage("fsaverage5")[f"infl_{hemisphere}"]
    assert meshes._bundled(f"infl_{hemisphere}.gii.gz") == str(expected)
