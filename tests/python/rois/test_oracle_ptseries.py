"""``output_format: cifti``: a surface atlas's tables as ``.ptseries.nii``, beside wb_command.

The oracle is ``wb_command -cifti-parcellate`` of the same dense timeseries
and label file: the same values, the same parcels (names, vertices, voxels)
and the same series axis; and Workbench reads ours.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from surface_data import (
    N_LEFT,
    N_RIGHT,
    T_R,
    brain_models,
    random_keys,
    surface_series,
    write_dlabel,
    write_dtseries,
    write_func_gii,
    write_label_gii,
)

from niimasker_core.faces.cli import main

STEM = "sub-01_task-rest_space-fsLR_den-91k_bold"


def _run(wb: str, *args: str) -> str:
    done = subprocess.run([wb, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ptseries_equals_wb_command_parcellate(wb_command, tmp_path, rng):
    """Cortices and a subcortical structure: the parcels hold vertices and voxels."""
    models = brain_models(rng, medial_wall=False)  # wb_command needs every atlas vertex
    series = tmp_path / f"{STEM}.dtseries.nii"
    write_dtseries(series, models, rng, n_volumes=20)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng), names={2: "Visual"})
    out = tmp_path / "out"
    assert (
        main(
            [str(out), "-i", str(series), "-r", str(atlas), "--output_format", "cifti"]
        )
        == 0
    )
    ours = out / f"{STEM}_timeseries.ptseries.nii"
    expected = tmp_path / "expected.ptseries.nii"
    _run(
        wb_command,
        "-cifti-parcellate",
        str(series),
        str(atlas),
        "COLUMN",
        str(expected),
    )
    got, want = nib.load(ours), nib.load(expected)
    assert got.header.get_axis(1) == want.header.get_axis(1)  # names, vertices, voxels
    assert got.header.get_axis(0) == want.header.get_axis(0)  # series: TR, start, size
    assert got.header.get_axis(0).step == T_R
    assert any(len(v) for v in got.header.get_axis(1).voxels)  # the thalamus is there
    np.testing.assert_allclose(got.get_fdata(), want.get_fdata(), rtol=1e-6)
    # as Workbench writes it out in text, and as it reads ours
    text = [tmp_path / "ours.txt", tmp_path / "theirs.txt"]
    for path, target in zip((ours, expected), text):
        _run(wb_command, "-cifti-convert", "-to-text", str(path), str(target))
    np.testing.assert_allclose(np.loadtxt(text[0]), np.loadtxt(text[1]), rtol=1e-6)
    assert "Parcel Series" in _run(wb_command, "-file-information", str(ours))
    # the TSV beside it holds the same table, and both are recorded
    table = pd.read_csv(out / f"{STEM}_timeseries.tsv", sep="\t")
    assert list(table.columns) == list(got.header.get_axis(1).name)
    np.testing.assert_allclose(table.to_numpy(), got.get_fdata(), rtol=1e-6)
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert ours.name in record["runs"][0]["files"]


def test_a_gifti_pair_with_label_pairs_gives_a_ptseries(wb_command, tmp_path, rng):
    paths = []
    for hemi, n, name in (("L", N_LEFT, "CortexLeft"), ("R", N_RIGHT, "CortexRight")):
        path = tmp_path / f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii"
        write_func_gii(path, surface_series(rng, n, 15), name)
        keys = rng.integers(0, 4, n)
        write_label_gii(
            tmp_path / f"hemi-{hemi}_atlas.label.gii",
            keys,
            {0: "???", 1: f"{hemi}_A", 2: f"{hemi}_B", 3: f"{hemi}_C"},
            name,
        )
        paths.append(path)
    out = tmp_path / "out"
    argv = [
        str(out),
        "-i",
        *map(str, paths),
        "-r",
        str(tmp_path / "hemi-L_atlas.label.gii"),
    ]
    assert main([*argv, "--output_format", "cifti"]) == 0
    stem = "sub-01_task-rest_space-fsaverage5_bold_timeseries"
    img = nib.load(out / f"{stem}.ptseries.nii")
    table = pd.read_csv(out / f"{stem}.tsv", sep="\t")
    parcels = img.header.get_axis(1)
    assert list(parcels.name) == list(table.columns) == [
        "L_A", "L_B", "L_C", "R_A", "R_B", "R_C"
    ]  # fmt: skip
    assert parcels.nvertices == {
        "CIFTI_STRUCTURE_CORTEX_LEFT": N_LEFT,
        "CIFTI_STRUCTURE_CORTEX_RIGHT": N_RIGHT,
    }
    np.testing.assert_allclose(table.to_numpy(), img.get_fdata(), rtol=1e-6)
    _run(wb_command, "-file-information", str(out / f"{stem}.ptseries.nii"))


def test_other_formats_keep_region_tables_tsv(tmp_path, rng):
    models = brain_models(rng)
    series = tmp_path / f"{STEM}.dtseries.nii"
    write_dtseries(series, models, rng, n_volumes=10)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    assert main([str(tmp_path / "out"), "-i", str(series), "-r", str(atlas)]) == 0
    assert not list(Path(tmp_path / "out").glob("*.ptseries.nii"))


def test_cifti_is_unused_only_where_no_ptseries_is_written(tmp_path, rng):
    """'cifti' with a surface atlas writes a ptseries (no warning); with a volume atlas, TSV."""
    import warnings

    from niimasker_core import errors
    from niimasker_core.faces.api import extract_timeseries

    models = brain_models(rng)
    series = tmp_path / f"{STEM}.dtseries.nii"
    write_dtseries(series, models, rng, n_volumes=10)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.UnusedOptionWarning)
        extract_timeseries(
            [str(series)], str(atlas), str(tmp_path / "out"), output_format="cifti"
        )
    assert (tmp_path / "out" / f"{STEM}_timeseries.ptseries.nii").is_file()
    extdata = Path(__file__).parents[3] / "inst" / "extdata"
    bold = next((extdata / "fmriprep").glob("sub-01/func/*_desc-preproc_bold.nii.gz"))
    with pytest.warns(errors.UnusedOptionWarning, match="other region tables"):
        extract_timeseries(
            [str(bold)],
            str(extdata / "atlas-synthetic12_dseg.nii.gz"),
            output_format="cifti",
        )
