"""Broken headers, hopeless ROIs, costly typos and a full disk: one clear error each.

Every case runs the command in-process and expects exit code 2 with one line
naming the file, the problem and the fix (never a traceback, never twice),
and the Python API to raise the same niimasker error class.
"""

from __future__ import annotations

import struct

import nibabel as nib
import numpy as np
import pytest
from conftest import SHAPE, make_bold
from conftest import one_error_line as one_line

from niimasker_core.errors import (
    InputFileError,
    NiimaskerError,
    OutputError,
    RoiError,
    SettingsError,
)
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main
from niimasker_core.io import writers as outputs


def one_error_line(capsys, argv) -> str:
    return one_line(capsys, argv, extra=("--report", "false"))


def patched_nifti(path, img, patch):
    """Write ``img`` as .nii, then overwrite header bytes as a broken tool would."""
    img.to_filename(path)
    raw = bytearray(path.read_bytes())
    patch(raw)
    path.write_bytes(bytes(raw))
    return path


def sform(values):
    def patch(raw):
        struct.pack_into("<hh", raw, 252, 0, 1)  # qform_code 0, sform_code 1
        struct.pack_into("<12f", raw, 280, *values)

    return patch


NAN_AFFINE = sform([np.nan, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0])
ZERO_AFFINE = sform([0.0] * 12)


def negative_dim(raw):
    struct.pack_into("<h", raw, 44, -8)  # dim[2]


HEADER_FAULTS = [
    (NAN_AFFINE, "NaN or infinite"),
    (ZERO_AFFINE, "singular"),
    (negative_dim, "negative or zero size"),
]


@pytest.mark.parametrize(("patch", "problem"), HEADER_FAULTS)
def test_broken_image_header(capsys, tmp_path, rng, affine, atlas_file, patch, problem):
    bold = patched_nifti(tmp_path / "bold.nii", make_bold(rng, affine), patch)
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold, "-r", atlas_file])
    assert line.startswith("InputFileError: ") and "bold.nii" in line
    assert problem in line
    with pytest.raises(InputFileError, match=problem):
        extract_timeseries([str(bold)], str(atlas_file))


@pytest.mark.parametrize(("patch", "problem"), HEADER_FAULTS)
def test_broken_atlas_header(capsys, tmp_path, rng, affine, bold_file, patch, problem):
    labels = rng.integers(0, 4, SHAPE).astype(np.int16)
    atlas = patched_nifti(
        tmp_path / "atlas.nii", nib.Nifti1Image(labels, affine), patch
    )
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas])
    assert (
        line.startswith("RoiError: ") and "'roi_file'" in line and "atlas.nii" in line
    )
    assert problem in line
    with pytest.raises(RoiError, match=problem):
        extract_timeseries([str(bold_file)], str(atlas))


def test_broken_mask_header(tmp_path, rng, affine, bold_file, atlas_file):
    mask = patched_nifti(
        tmp_path / "mask.nii",
        nib.Nifti1Image(np.ones(SHAPE, np.uint8), affine),
        ZERO_AFFINE,
    )
    with pytest.raises(RoiError, match="'mask_img' .*singular"):
        extract_timeseries([str(bold_file)], str(atlas_file), mask_img=str(mask))


def test_zero_volume_image(capsys, tmp_path, rng, affine, atlas_file):
    bold = patched_nifti(
        tmp_path / "bold.nii",
        make_bold(rng, affine),
        lambda raw: struct.pack_into("<h", raw, 48, 0),  # dim[4] = 0
    )
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold, "-r", atlas_file])
    assert line.startswith("InputFileError: ") and "0 volumes" in line
    assert "discard_scans" not in line


def test_atlas_outside_the_image_is_an_error(capsys, tmp_path, rng, affine, bold_file):
    shifted = affine.copy()
    shifted[:3, 3] += 500.0  # the same grid 500 mm away: no overlap
    labels = rng.integers(0, 4, SHAPE).astype(np.int16)
    atlas = tmp_path / "atlas.nii.gz"
    nib.Nifti1Image(labels, shifted).to_filename(atlas)
    line = one_error_line(capsys, [tmp_path / "o", "-i", bold_file, "-r", atlas])
    assert line.startswith("RoiError: No region of 'roi_file'")
    assert "atlas.nii.gz" in line and "sub-01_task-rest_bold.nii.gz" in line
    assert "x 490.0 to 508.0 mm" in line  # the atlas's labelled voxels
    assert "x -10.0 to 8.0 mm" in line  # the image's grid


def test_every_label_masked_out_is_an_error(tmp_path, affine, bold_file):
    labels = np.zeros(SHAPE, np.int16)
    labels[:2], labels[2] = 1, 2
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:] = 1
    atlas, mask_file = tmp_path / "atlas.nii.gz", tmp_path / "mask.nii.gz"
    nib.Nifti1Image(labels, affine).to_filename(atlas)
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    with pytest.raises(RoiError, match="No region .* keeps a voxel"):
        extract_timeseries([str(bold_file)], str(atlas), mask_img=str(mask_file))
    mask[2] = 1  # one region left is fine
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    out = extract_timeseries([str(bold_file)], str(atlas), mask_img=str(mask_file))
    assert out.timeseries[0].sidecar["EmptyRegions"] == ["1"]


def test_spheres_outside_the_image_are_an_error(tmp_path, bold_file):
    coords = tmp_path / "seeds.tsv"
    coords.write_text("x\ty\tz\n300\t300\t300\n310\t300\t300\n")
    with pytest.raises(RoiError, match="x 296.0 to 314.0 mm"):
        extract_timeseries([str(bold_file)], str(coords), radius=4.0)


def test_emptied_maps_are_an_error(tmp_path, rng, affine, bold_file):
    maps = np.zeros(SHAPE + (2,), np.float32)
    maps[:2, ..., 0], maps[:2, ..., 1] = 1.0, 0.5
    mask = np.zeros(SHAPE, np.uint8)
    mask[5:] = 1
    maps_file, mask_file = tmp_path / "maps.nii.gz", tmp_path / "mask.nii.gz"
    nib.Nifti1Image(maps, affine).to_filename(maps_file)
    nib.Nifti1Image(mask, affine).to_filename(mask_file)
    with pytest.raises(RoiError, match="No region .*maps.nii.gz"):
        extract_timeseries([str(bold_file)], str(maps_file), mask_img=str(mask_file))


@pytest.mark.parametrize("fwhm", ["1e9", "1e5", "500"])
def test_a_kernel_wider_than_the_field_of_view_is_refused(
    capsys, tmp_path, bold_file, atlas_file, fwhm
):
    line = one_error_line(
        capsys,
        [tmp_path / "o", "-i", bold_file, "-r", atlas_file, "--smoothing_fwhm", fwhm],
    )
    assert line.startswith("SettingsError: 'smoothing_fwhm'")
    assert "field of view" in line and "36 mm" in line  # 9 voxels of 4 mm


def test_a_wide_but_plausible_kernel_runs(bold_file, atlas_file):
    out = extract_timeseries([str(bold_file)], str(atlas_file), smoothing_fwhm=30.0)
    assert np.isfinite(out.timeseries[0].shape[0])
    with pytest.raises(SettingsError, match="smoothing_fwhm"):
        extract_timeseries([str(bold_file)], str(atlas_file), smoothing_fwhm=37.0)


def full_disk(monkeypatch, target_suffix):
    """Writes to temporary files ending in ``target_suffix`` go to /dev/full."""
    real_open = open

    def fake_open(path, mode="r", *args, **kwargs):
        name = str(path)
        if "w" in mode and name.endswith(target_suffix) and "niimasker-tmp" in name:
            return real_open("/dev/full", mode, *args, **kwargs)
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(outputs, "open", fake_open, raising=False)


@pytest.mark.parametrize("suffix", [".tsv", ".json"])
def test_full_disk_names_the_file_and_the_space(
    capsys, monkeypatch, tmp_path, bold_file, atlas_file, suffix
):
    full_disk(monkeypatch, suffix)
    out = tmp_path / "o"
    code = main(
        [str(out), "-i", str(bold_file), "-r", str(atlas_file), "--report", "false"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "The disk is full" in err and "needed" in err and "free" in err
    assert err.count("The disk is full") == 1
    assert not list(out.rglob("*niimasker-tmp*"))  # nothing half-written left


def test_full_disk_through_the_api(monkeypatch, tmp_path):
    full_disk(monkeypatch, ".tsv")
    with pytest.raises(OutputError, match=r"writing '.*t\.tsv': about .* needed"):
        outputs.write_table(tmp_path / "t.tsv", np.ones((100, 3)), ["a", "b", "c"])
    assert isinstance(OutputError("x"), NiimaskerError)
