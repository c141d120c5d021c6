"""Report polish (issue 21, item 15): tables that do not split numbers, named and scaled
matrix and carpet, a capped legend, and time axes that show censored gaps."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from conftest import N_VOLUMES, SHAPE

from niimasker_core import extract_timeseries
from niimasker_core.batch.report import figures
from niimasker_core.batch.report.sections import MAX_LEGEND
from niimasker_core.faces.cli import main

TEMPLATE = Path(figures.__file__).with_name("template.html")


def test_tables_do_not_break_numbers_or_words():
    css = TEMPLATE.read_text()
    assert "break-all" not in css
    td = re.search(r"td, th \{([^}]*)\}", css).group(1)
    assert "overflow-wrap: break-word" in td


def _svg(text: str, css: str) -> str:
    """Return the SVG that holds the image of class ``css``."""
    start = text.index(f'<image class="{css}"')
    return text[text.rindex("<svg", 0, start) : text.index("</svg>", start)]


def test_matrix_and_carpet_have_names_and_colour_bars(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    assert (
        main(
            [str(out), "-i", str(bold_file), "-r", str(atlas_file), "--labels", *names]
        )
        == 0
    )
    text = (out / "report.html").read_text()
    matrix, carpet = _svg(text, "matrix"), _svg(text, "carpet")
    for name in names:
        assert matrix.count(f">{name}</text>") == 2  # its row and its column
        assert f">{name}</text>" in carpet
    bars = re.findall(r'<svg[^>]*class="colourbar".*?</svg>', text)
    assert len(bars) == 2
    assert ">-3</text>" in bars[0] and ">+3</text>" in bars[0]
    assert ">-1</text>" in bars[1] and ">+1</text>" in bars[1]


def test_many_region_names_are_thinned():
    png = figures.correlation(np.random.default_rng(0).normal(size=(20, 400)))
    svg = figures.labelled_image_svg(png, "matrix", [f"r{i}" for i in range(400)])
    assert 30 <= svg.count("</text>") <= 40
    assert ">r0</text>" in svg and ">r399</text>" in svg


def test_legend_is_capped(tmp_path, bold_file, affine):
    rng = np.random.default_rng(3)
    atlas = tmp_path / "atlas.nii.gz"
    labels = rng.permutation(np.arange(1, np.prod(SHAPE) + 1) % 120 + 1)
    nib.Nifti1Image(labels.reshape(SHAPE).astype(np.int16), affine).to_filename(atlas)
    out = tmp_path / "out"
    extract_timeseries(str(bold_file), str(atlas), str(out))
    text = (out / "report.html").read_text()
    legend = text[text.index('<div class="legend">') :]
    legend = legend[: legend.index("</div>")]
    shown = legend.split("<details>")[0]
    assert shown.count('class="region"') == MAX_LEGEND
    assert f"{120 - MAX_LEGEND} more regions</summary>" in legend


def test_timeseries_axis_is_time_with_gaps():
    volumes = [0, 1, 2, 3, 7, 8, 9]  # 4, 5, 6 censored
    values = np.random.default_rng(0).normal(size=(len(volumes), 2))
    svg = figures.lines_svg(values, ["a", "b"], 2.0, volumes)
    assert svg.count("<polyline") == 4  # two runs per line
    assert ">18</text>" in svg and "time (s)" in svg  # last kept volume 9 x 2 s
    xs = [
        float(p.split(",")[0]) for p in re.findall(r'points="([^"]+)"', svg)[0].split()
    ]
    first_run = re.findall(r'points="([^"]+)"', svg)
    start_second = float(first_run[1].split()[0].split(",")[0])
    step = xs[1] - xs[0]
    # the gap spans the censored volumes (points are rounded to 0.1 px)
    assert np.isclose(start_second - xs[-1], 4 * step, atol=0.3)


def test_report_timeseries_use_the_kept_volumes(tmp_path, bold_file, atlas_file):
    out = tmp_path / "out"
    extract_timeseries(
        str(bold_file), str(atlas_file), str(out), t_r=2, discard_scans=4
    )
    text = (out / "report.html").read_text()
    lines = text[text.index('class="lines"') :]
    lines = lines[: lines.index("</svg>")]
    assert f">{(N_VOLUMES - 1) * 2:g}</text>" in lines and ">8</text>" in lines


def test_report_loads_no_matplotlib(tmp_path, bold_file, atlas_file):
    """The report draws its own figures, with matplotlib installed or not.

    matplotlib is in the test extra only for the figures of nilearn's own
    reports (scripts/run_nilearn_suite.py); a run never imports it.
    """
    out = tmp_path / "out"
    code = (
        "import sys; from niimasker_core.faces.cli import main; "
        f"code = main([{str(out)!r}, '-i', {str(bold_file)!r}, "
        f"'-r', {str(atlas_file)!r}]); "
        "print(code, 'matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[-2:] == ["0", "False"]
    assert 'class="matrix"' in (out / "report.html").read_text()
