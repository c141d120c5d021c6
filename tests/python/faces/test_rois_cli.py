"""Every ROI kind from the command: spheres, maps, masks and nilearn queries."""

from __future__ import annotations

import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiMapsMasker, NiftiSpheresMasker

from niimasker_core.faces.cli import main


def read(out_dir):
    return pd.read_csv(next(out_dir.glob("*_timeseries.tsv")), sep="\t")


def test_spheres_from_the_command(tmp_path, bold_file):
    roi = tmp_path / "coords.tsv"
    pd.DataFrame(
        {"x": [-2.2, 7.6], "y": [1.3, -9.1], "z": [-4.9, 9.4], "name": ["pcc", "mpfc"]}
    ).to_csv(roi, sep="\t", index=False)
    out = tmp_path / "out"
    assert (
        main(
            [
                str(out),
                "-i",
                str(bold_file),
                "-r",
                str(roi),
                "--radius",
                "5",
                "--detrend",
            ]
        )
        == 0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = NiftiSpheresMasker(
            [(-2.2, 1.3, -4.9), (7.6, -9.1, 9.4)], radius=5.0, detrend=True
        ).fit_transform(str(bold_file))
    table = read(out)
    assert list(table.columns) == ["pcc", "mpfc"]
    np.testing.assert_allclose(table.to_numpy(), expected, rtol=1e-6, atol=1e-6)
    assert (out / "niimasker_data" / "spheres_img.nii.gz").is_file()
    assert (out / "niimasker_data" / "spheres_img_lut.tsv").is_file()


def test_overlapping_spheres_exit_2_naming_the_pair(tmp_path, bold_file, capsys):
    roi = tmp_path / "coords.csv"
    pd.DataFrame({"x": [0, 3], "y": [0, 0], "z": [0, 0]}).to_csv(roi, index=False)
    assert (
        main(
            [
                str(tmp_path / "out"),
                "-i",
                str(bold_file),
                "-r",
                str(roi),
                "--radius",
                "6",
            ]
        )
        == 2
    )
    assert "RoiError" in capsys.readouterr().err
    assert (
        main(
            [
                str(tmp_path / "ok"),
                "-i",
                str(bold_file),
                "-r",
                str(roi),
                "--radius",
                "6",
                "--allow_overlap",
            ]
        )
        == 0
    )


def test_maps_from_the_command(tmp_path, bold_file, affine):
    grid = np.indices((7, 8, 9)).transpose(1, 2, 3, 0)
    maps = np.stack(
        [np.exp(-((grid - c) ** 2).sum(-1) / 5.0) for c in [(2, 2, 2), (4, 5, 6)]], -1
    )
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(path)
    out = tmp_path / "out"
    assert (
        main([str(out), "-i", str(bold_file), "-r", str(path), "--labels", "a", "b"])
        == 0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = NiftiMapsMasker(str(path)).fit_transform(str(bold_file))
    table = read(out)
    assert list(table.columns) == ["a", "b"]
    np.testing.assert_allclose(table.to_numpy(), expected, rtol=1e-4, atol=4e-4)


@pytest.mark.parametrize("query", ["nilearn:basc:sym-21", "nilearn:unknown"])
def test_malformed_query_exits_2_listing_atlases(tmp_path, bold_file, capsys, query):
    assert main([str(tmp_path / "out"), "-i", str(bold_file), "-r", query]) == 2
    err = capsys.readouterr().err
    assert "AtlasQueryError" in err and "basc" in err


def test_query_from_the_command_with_local_nilearn_data(
    tmp_path, bold_file, affine, monkeypatch
):
    folder = tmp_path / "nilearn_data" / "pauli_2017"
    folder.mkdir(parents=True)
    labels = np.zeros((7, 8, 9), np.int16)
    labels[1:3, 1:4, 1:5], labels[4:6, 4:7, 4:8] = 1, 2
    nib.Nifti1Image(labels, affine).to_filename(folder / "pauli_2017_det.nii.gz")
    (folder / "labels.txt").write_text("0 Pu\n1 Ca\n")
    monkeypatch.setenv("NILEARN_DATA", str(tmp_path / "nilearn_data"))
    out = tmp_path / "out"
    assert (
        main([str(out), "-i", str(bold_file), "-r", "nilearn:pauli:deterministic"]) == 0
    )
    assert list(read(out).columns) == ["Pu", "Ca"]
