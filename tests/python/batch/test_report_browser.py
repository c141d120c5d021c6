"""report.html in a real browser (issue 21, item 16): each kind of report, opened in headless
Chromium, logs no error, asks for nothing outside the file, decodes every image and stays within
the window's width. A screenshot of each is kept under build/report-screenshots/.

Chromium is Debian's ``chromium`` package (bootstrap.sh installs it with the test tools); the
test fails, naming the install command, where it is missing.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from conftest import SHAPE
from headless_chromium import INSTALL, Browser, find_chromium
from surface_data import (
    brain_models,
    random_keys,
    write_dlabel,
    write_dtseries,
    write_toy_gifti_run,
)

from niimasker_core.faces import api

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "report-screenshots"

# The page's own checks: images decoded (an <img> and an SVG <image> alike, through a fresh
# Image of the same source), the body no wider than the window, each table and every element
# inside the body's box.
CHECKS = """
(async () => {
  for (const d of document.querySelectorAll('details')) d.open = true;  // folded lists too
  const images = [];
  for (const img of document.querySelectorAll('img')) {
    try { await img.decode(); } catch (e) {}
    images.push({what: 'img.' + img.className, width: img.naturalWidth});
  }
  for (const image of document.querySelectorAll('svg image')) {
    const probe = new Image();
    probe.src = image.getAttribute('href') || image.getAttribute('xlink:href');
    try { await probe.decode(); } catch (e) {}
    images.push({what: 'image.' + image.getAttribute('class'), width: probe.naturalWidth});
  }
  const body = document.body.getBoundingClientRect();
  const outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.left < body.left - 1 || r.right > body.right + 1)) {
      outside.push(el.tagName + '.' + el.getAttribute('class') + ' ' + r.left + '..' + r.right);
    }
  }
  const tables = [];
  for (const table of document.querySelectorAll('table')) {
    const t = table.getBoundingClientRect();
    const p = table.parentElement.getBoundingClientRect();
    if (t.right > p.right + 1 || table.scrollWidth > table.clientWidth + 1) {
      tables.push(table.parentElement.tagName + ' ' + t.right + ' > ' + p.right);
    }
  }
  return {images, outside, tables, scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth, sections: document.querySelectorAll('h2').length};
})()
"""


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if os.environ.get("NIIMASKER_NO_BROWSER") == "true":
            pytest.skip(
                "chromium is missing and NIIMASKER_NO_BROWSER=true (not the README set-up)"
            )
        pytest.fail(f"chromium is missing: {INSTALL}")
    browser = Browser(executable)
    yield browser
    browser.close()


# ------------------------------------------------------------------ one run per report kind
def _bold(
    tmp_path: Path, affine, name="sub-01_task-rest_bold.nii.gz", n_volumes=20
) -> str:
    rng = np.random.default_rng(len(name))
    data = 100 + rng.normal(0, 1, SHAPE + (n_volumes,)).cumsum(-1)
    img = nib.Nifti1Image(data.astype(np.float32), affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = 2.0
    path = tmp_path / name
    img.to_filename(path)
    return str(path)


def _atlas(tmp_path: Path, affine, n_regions: int) -> str:
    rng = np.random.default_rng(n_regions)
    keys = rng.permutation(np.arange(np.prod(SHAPE)) % n_regions + 1)
    path = tmp_path / f"atlas{n_regions}.nii.gz"
    nib.Nifti1Image(keys.reshape(SHAPE).astype(np.int16), affine).to_filename(path)
    return str(path)


def labels(tmp_path, affine):
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    return [_bold(tmp_path, affine)], _atlas(tmp_path, affine, 5), {"labels": names}


def spheres(tmp_path, affine):
    seeds = [affine @ np.array([*v, 1.0]) for v in ((3, 4, 4), (1, 1, 2))]
    path = tmp_path / "seeds.tsv"
    pd.DataFrame(
        {"x": [s[0] for s in seeds] + [500.0], "y": [s[1] for s in seeds] + [500.0],
         "z": [s[2] for s in seeds] + [500.0], "name": ["left", "right", "far"]}
    ).to_csv(path, sep="\t", index=False)  # fmt: skip
    return [_bold(tmp_path, affine)], str(path), {"radius": 4.0}


def maps(tmp_path, affine):
    grid = np.indices(SHAPE).transpose(1, 2, 3, 0)
    centres = [(2, 2, 2), (4, 5, 6), (5, 2, 7)]
    values = np.stack([np.exp(-((grid - c) ** 2).sum(-1) / 5.0) for c in centres], -1)
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(values.astype(np.float32), affine).to_filename(path)
    return [_bold(tmp_path, affine)], str(path), {"labels": ["one", "two", "three"]}


def voxels(tmp_path, affine):
    return [_bold(tmp_path, affine)], None, {"report": True}


def failed(tmp_path, affine):
    broken = tmp_path / "sub-02_task-rest_bold.nii.gz"
    broken.write_bytes(b"not an image")
    return [_bold(tmp_path, affine), str(broken)], _atlas(tmp_path, affine, 5), {}


def regions_400(tmp_path, affine):
    return [_bold(tmp_path, affine)], _atlas(tmp_path, affine, 400), {}


def surface(tmp_path, affine):
    rng = np.random.default_rng(5)
    models = brain_models(rng)
    run = tmp_path / "sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"
    write_dtseries(run, models, rng, n_volumes=20)
    atlas = tmp_path / "atlas.dlabel.nii"
    write_dlabel(atlas, models, random_keys(models, rng))
    return [str(run)], str(atlas), {}


def gifti(tmp_path, affine):
    rng = np.random.default_rng(6)
    stem = "sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold"
    runs, atlas = write_toy_gifti_run(tmp_path, rng, stem, n_volumes=20)
    return runs, atlas, {}


KINDS = [labels, spheres, maps, voxels, failed, regions_400, surface, gifti]


@pytest.mark.parametrize("kind", KINDS, ids=[k.__name__ for k in KINDS])
def test_report_renders_cleanly_in_chromium(kind, tmp_path, affine, browser):
    inputs, roi, settings = kind(tmp_path, affine)
    out = tmp_path / "out"
    with (
        warnings.catch_warnings()
    ):  # an empty sphere, a failed image: said in the report
        warnings.simplefilter("ignore")
        api.extract_timeseries(inputs, roi, str(out), t_r=2.0, **settings)
    report = out / "report.html"
    assert report.is_file()
    session, log = browser.open(report)
    page = browser.evaluate(session, CHECKS)
    browser.screenshot(session, SCREENSHOTS / f"{kind.__name__}.png")

    assert log.errors == []
    assert log.requests, "the browser recorded no request at all"
    leaving = [u for u in log.requests if not u.startswith(("file://", "data:"))]
    assert leaving == []
    assert page["images"], "no image in the report"
    undecoded = [i["what"] for i in page["images"] if i["width"] <= 0]
    assert undecoded == []
    assert page["scrollWidth"] <= page["innerWidth"], "the page scrolls sideways"
    assert page["tables"] == []
    assert page["outside"] == []
    assert (SCREENSHOTS / f"{kind.__name__}.png").stat().st_size > 1000


def test_the_checks_see_a_broken_page(tmp_path, browser):
    """The same checks on a page that breaks each rule: every one of them notices."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><body style="max-width: 500px">'
        '<img src="http://127.0.0.1:9/x.png"><img src="data:image/png;base64,AAAA">'
        '<div><table><tr><td style="white-space: nowrap">'
        + "a"
        * 150
        + "</td></tr></table>"
        '</div><script>console.error("boom")</script></body></html>'
    )  # port 9 is one Chromium refuses to contact: nothing leaves the machine
    session, log = browser.open(page)
    checks = browser.evaluate(session, CHECKS)
    assert "boom" in log.errors
    assert "http://127.0.0.1:9/x.png" in log.requests
    assert [i["width"] for i in checks["images"]] == [0, 0]
    assert checks["tables"] and checks["outside"]
