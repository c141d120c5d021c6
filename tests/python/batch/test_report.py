"""report.html: written after a batch, self-contained, and never failing a run."""

from __future__ import annotations

import base64
import re
import struct
import types
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import N_VOLUMES, SHAPE, make_bold

from niimasker_core import extract_timeseries
from niimasker_core.batch.report import figures, write_report
from niimasker_core.batch.run import run_batch
from niimasker_core.errors import ReportWarning
from niimasker_core.faces.cli import main
from niimasker_core.params.options import RunOptions
from niimasker_core.params.settings import make_settings
from niimasker_core.rois.sets import load_roi_sets

# an <img> (the overlay) or an SVG <image> (carpet and matrix, with their names)
_PNG = re.compile(
    r'<(?:img|image) class="(\w+)"[^>]*? (?:src|href)="data:image/png;base64,([^"]+)"'
)


def _decode_png(data: bytes) -> tuple[int, int, np.ndarray]:
    """Return width, height and the pixel rows (filter bytes checked) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.setdefault(kind, b"")
        chunks[kind] += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8
    channels = 3 if colour == 2 else 1
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8)
    rows = raw.reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all()
    return width, height, rows[:, 1:]


def _images(text: str) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for kind, payload in _PNG.findall(text):
        width, height, _ = _decode_png(base64.b64decode(payload))
        out.setdefault(kind, []).append((width, height))
    return out


def _check_self_contained(text: str) -> None:
    assert "http" not in text
    assert "<script" not in text


def test_png_round_trip():
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    width, height, rows = _decode_png(figures.encode_png(rgb))
    assert (width, height) == (7, 5)
    assert np.array_equal(rows.reshape(5, 7, 3), rgb)


def test_cli_run_writes_a_complete_report(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    code = main(
        [str(out), "-i", str(bold_file), "-r", str(atlas_file), "--labels", *names]
        + ["--detrend", "--t_r", "2"]
    )
    assert code == 0
    text = (out / "report.html").read_text()
    _check_self_contained(text)
    assert "niimasker " in text and "--detrend" in text  # version and command line
    for name in names:
        assert name in text
    for key in ("detrend", "standardize_confounds", "high_pass", "output_volumes"):
        assert f"<td>{key}</td>" in text
    assert text.count('<section class="image"') == 1
    images = _images(text)
    assert images["carpet"] == [(N_VOLUMES, len(names))]
    assert images["matrix"] == [(len(names), len(names))]
    assert len(images["mosaic"]) == 1
    assert "<svg" in text and "<polyline" in text


def test_mosaic_size_follows_the_slices_drawn():
    mean = np.ones(SHAPE)
    regions = np.zeros(SHAPE, dtype=int)
    regions[2:4, 3:5, :] = 1  # 4 voxels on every slice
    png, slices = figures.mosaic(mean, regions, n_slices=4, n_columns=2)
    width, height, rows = _decode_png(png)
    # tiles are y (rows) by x (columns), one pixel apart
    assert (width, height) == (2 * SHAPE[0] + 1, 2 * SHAPE[1] + 1)
    assert len(slices) == 4
    pixels = rows.reshape(height, width, 3)
    colour = np.round(0.65 * figures.region_colours(1)[0]).astype(np.uint8)
    assert (pixels == colour).all(axis=2).sum() == 4 * len(slices)


def test_api_report_one_section_per_image_and_report_false(
    tmp_path, rng, affine, atlas_file
):

    files = []
    for sub in ("01", "02"):
        path = tmp_path / f"sub-{sub}_task-rest_bold.nii.gz"
        make_bold(rng, affine).to_filename(path)
        files.append(str(path))
    out = tmp_path / "out"
    extract_timeseries(files, str(atlas_file), str(out))
    text = (out / "report.html").read_text()
    assert text.count('<section class="image"') == 2
    assert "sub-01_task-rest_bold" in text and "sub-02_task-rest_bold" in text
    assert "no command line" in text

    quiet = tmp_path / "quiet"
    extract_timeseries(files, str(atlas_file), str(quiet), report=False)
    assert (quiet / "sub-01_task-rest_bold_timeseries.tsv").is_file()
    assert not (quiet / "report.html").exists()


def test_cli_report_false(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    assert (
        main(
            [str(out), "-i", str(bold_file), "-r", str(atlas_file)]
            + ["--report", "false"]
        )
        == 0
    )
    assert (out / "sub-01_task-rest_bold_timeseries.tsv").is_file()
    assert not (out / "report.html").exists()


def test_failed_image_is_listed(tmp_path, bold_file, atlas_file):
    broken = tmp_path / "sub-02_task-rest_bold.nii.gz"
    broken.write_bytes(b"not an image")
    out = tmp_path / "out"
    code = main([str(out), "-i", str(bold_file), str(broken), "-r", str(atlas_file)])
    assert code == 2
    text = (out / "report.html").read_text()
    assert "failed: <b>1</b>" in text
    assert "sub-02_task-rest_bold.nii.gz</code>: InputFileError" in text
    assert text.count('<section class="image"') == 1


def _batch(tmp_path, bold_file, atlas_file):
    settings = make_settings(
        input_files=[str(bold_file)], roi_file=str(atlas_file), report=False
    )
    out = tmp_path / "out"
    source = load_roi_sets(RunOptions.from_settings(settings).rois)[0].source
    return run_batch(settings, str(out)), source, out


def test_a_failing_figure_becomes_a_note(tmp_path, bold_file, atlas_file):
    batch, roi, out = _batch(tmp_path, bold_file, atlas_file)

    def broken(values):
        raise RuntimeError("drawing exploded")

    seam = types.SimpleNamespace(**{n: getattr(figures, n) for n in figures.__all__})
    seam.carpet = broken
    with pytest.warns(ReportWarning, match="drawing exploded"):
        path = write_report(batch, roi, out, figures=seam)
    assert path == out / "report.html"
    text = path.read_text()
    assert "could not be drawn: RuntimeError: drawing exploded" in text
    assert set(_images(text)) == {"mosaic", "matrix"}  # the others are still drawn


def test_report_failure_never_fails_the_run(tmp_path, bold_file, atlas_file):
    batch, roi, out = _batch(tmp_path, bold_file, atlas_file)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    with pytest.warns(ReportWarning, match="could not be written"):
        assert write_report(batch, roi, blocked / "sub") is None
    assert (out / "sub-01_task-rest_bold_timeseries.tsv").is_file()


def test_report_failure_inside_a_run_is_a_warning(
    tmp_path, bold_file, atlas_file, capsys
):
    # The template is read when the report is built; an output folder that
    # cannot take report.html (a folder of that name) makes the write fail.
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    code = main([str(out), "-i", str(bold_file), "-r", str(atlas_file)])
    assert code == 0
    assert "could not be written" in capsys.readouterr().err
    assert (out / "sub-01_task-rest_bold_timeseries.tsv").is_file()


def test_spheres_run_has_a_report(tmp_path, bold_file, affine):
    centre = affine @ np.array([3, 4, 4, 1.0])
    other = affine @ np.array([1, 1, 2, 1.0])
    far = [500.0, 500.0, 500.0]  # outside the image: an empty sphere
    coords = tmp_path / "seeds.tsv"
    pd.DataFrame(
        {"x": [centre[0], other[0], far[0]], "y": [centre[1], other[1], far[1]],
         "z": [centre[2], other[2], far[2]], "name": ["left_seed", "right_seed", "far_seed"]}
    ).to_csv(coords, sep="\t", index=False)  # fmt: skip
    out = tmp_path / "out"
    extract_timeseries([str(bold_file)], str(coords), str(out), radius=4.0)
    text = (out / "report.html").read_text()
    assert "left_seed" in text and "right_seed" in text
    assert "Regions with no voxel on this image grid (1):</b> far_seed" in text
    assert "<td>empty regions</td><td>far_seed</td>" in text
    assert text.count('class="region"') == 2  # legend: the drawn spheres
    images = _images(text)
    assert len(images["mosaic"]) == 1
    assert images["matrix"] == [(3, 3)]


def test_maps_run_has_a_report(tmp_path, bold_file, affine, rng):
    maps = np.zeros(SHAPE + (3,), dtype=np.float32)
    maps[:3, :, :, 0] = rng.random((3,) + SHAPE[1:])
    maps[3:, :4, :, 1] = rng.random((SHAPE[0] - 3, 4, SHAPE[2]))
    maps[3:, 4:, :, 2] = rng.random((SHAPE[0] - 3, SHAPE[1] - 4, SHAPE[2]))
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(maps, affine).to_filename(path)
    out = tmp_path / "out"
    extract_timeseries(
        [str(bold_file)], str(path), str(out), labels=["m_one", "m_two", "m_three"]
    )
    text = (out / "report.html").read_text()
    for name in ("m_one", "m_two", "m_three"):
        assert name in text
    images = _images(text)
    assert images["matrix"] == [(3, 3)]
    assert "largest map" in text


def test_no_report_without_output_dir(tmp_path, bold_file, atlas_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extract_timeseries([str(bold_file)], str(atlas_file))
    assert not list(Path(tmp_path).rglob("report.html"))


@pytest.mark.parametrize("bad", ["yes", 2])
def test_report_must_be_a_flag(bad):
    from niimasker_core.errors import SettingsError

    with pytest.raises(SettingsError, match="'report' must be true or false"):
        make_settings(report=bad)


def _overlay_png(text: str) -> str:
    return next(p for kind, p in _PNG.findall(text) if kind == "mosaic")


def test_overlay_mean_is_made_as_the_first_image_streams(
    tmp_path, bold_file, atlas_file, monkeypatch
):
    """The report draws the first image's mean without reading it again, the same bits."""
    from niimasker_core.batch.report import overlay, sections

    reads = []
    read_again = overlay.mean_volume

    def counted(*args, **kwargs):
        reads.append(args[0])
        return read_again(*args, **kwargs)

    monkeypatch.setattr(overlay, "mean_volume", counted)
    settings = make_settings(
        input_files=[str(bold_file)], roi_file=str(atlas_file), discard_scans=2
    )
    run_batch(settings, str(tmp_path / "streamed"))
    assert reads == []  # drawn on the mean the stream made
    monkeypatch.setattr(sections, "_streamed_mean", lambda result: (None, 0))
    run_batch(settings, str(tmp_path / "read"))
    assert len(reads) == 1  # the earlier way: the image read again
    streamed, read = (
        (tmp_path / name / "report.html").read_text() for name in ("streamed", "read")
    )
    assert _overlay_png(streamed) == _overlay_png(read)


def test_overlay_reads_again_when_early_volumes_are_censored(
    tmp_path, rng, monkeypatch
):
    """Volumes censored among the first: the stream's mean is not the kept volumes'."""
    from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds

    from niimasker_core.batch.report import overlay

    reads = []
    read_again = overlay.mean_volume
    monkeypatch.setattr(
        overlay,
        "mean_volume",
        lambda *a, **k: reads.append(sorted(a[1])) or read_again(*a, **k),
    )
    bold = write_bold(tmp_path / "sub-01_task-rest_bold.nii.gz", rng, 30)
    table, meta = fmriprep_table(30, rng, fd_spikes=(4,))
    confounds = tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv"
    write_confounds(confounds, table, meta)
    atlas = write_atlas(tmp_path / "atlas.nii.gz", rng, n_regions=4)
    settings = make_settings(
        input_files=[str(bold)],
        roi_file=str(atlas),
        regressor_files=[str(confounds)],
        regressors=["trans_x", "csf"],
        fd_threshold=0.5,
        scrub=0,
        t_r=2.0,
    )
    run_batch(settings, str(tmp_path / "out"))
    # the stream averaged volumes 0-9; the kept ones skip the censored volume 4
    assert len(reads) == 1 and reads[0][:4] == [0, 1, 2, 3] and 4 not in reads[0]
    assert "Mean of the first" in (tmp_path / "out" / "report.html").read_text()
