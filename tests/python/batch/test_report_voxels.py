"""Voxel mode writes report.html too: the mask on the mean image, its coverage, the carpet."""

from __future__ import annotations

import base64
import re

import numpy as np
from conftest import N_VOLUMES

from niimasker_core.faces.cli import main

_PNG = re.compile(
    r'<(?:img|image) class="(\w+)"[^>]*? (?:src|href)="data:image/png;base64,([^"]+)"'
)


def test_voxel_run_writes_a_report(tmp_path, bold_file):
    out = tmp_path / "out"
    code = main([str(out), "-i", str(bold_file), "--t_r", "2", "--report", "true"])
    assert code == 0
    report = out / "report.html"
    assert report.is_file()
    text = report.read_text()
    assert "http" not in text and "<script" not in text
    kinds = [kind for kind, _ in _PNG.findall(text)]
    assert kinds.count("mosaic") == 1 and kinds.count("carpet") == 1
    for _, payload in _PNG.findall(text):
        assert base64.b64decode(payload)[:8] == b"\x89PNG\r\n\x1a\n"
    # the mask is drawn as one region, not as one name per voxel
    n_voxels = int(re.search(r"mask \((\d+) voxels\)", text).group(1))
    assert n_voxels > 0
    assert "Regions with no voxel" not in text
    assert text.count('class="region"') == 1
    assert re.search(r"Coverage of the mask: \d+ voxels, \d+ \(", text)
    assert f"{N_VOLUMES}</td>" in text  # the image's summary row: volumes


def test_voxel_run_report_false_writes_none(tmp_path, bold_file):
    out = tmp_path / "out"
    assert main([str(out), "-i", str(bold_file), "--report", "false"]) == 0
    assert not (out / "report.html").exists()
    assert np.any([p.suffix == ".gz" for p in out.iterdir()])


def test_a_warning_of_the_extraction_is_not_said_again_by_the_report(tmp_path):
    """Reading the image again for the report's figures repeats nothing."""
    import warnings
    from pathlib import Path

    from niimasker_core.faces.api import extract_timeseries

    bold_file = next(
        (Path(__file__).parents[3] / "inst" / "extdata" / "fmriprep").glob(
            "sub-01/func/*_desc-preproc_bold.nii.gz"
        )
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract_timeseries(
            str(bold_file),
            output_dir=str(tmp_path / "out"),
            mask_strategy="epi",
            target_affine=3,
            report=True,
        )
    said = [str(w.message) for w in caught if "being resampled" in str(w.message)]
    assert len(said) == 1, said
    assert (tmp_path / "out" / "report.html").is_file()
