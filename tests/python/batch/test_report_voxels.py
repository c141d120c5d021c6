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
