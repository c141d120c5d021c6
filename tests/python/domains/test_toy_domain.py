"""The domain seam: a test-only domain runs through the registry, the engine and the batch.

Signals sampled on plain points (``.points.npy``) with regions given as point
groups (``.groups.json``) are extracted, cleaned, written, reported and
resumed by the unchanged engine and batch: only the two registries learn the
new kinds (see toy_domain.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import toy_domain
from nilearn.signal import clean

import niimasker_core
from niimasker_core.domains import registry as image_registry
from niimasker_core.engine import extract
from niimasker_core.errors import RoiError, SettingsError
from niimasker_core.rois import registry as roi_registry

N_POINTS, N_VOLUMES = 30, 40
GROUPS = {"front": [0, 1, 2, 3], "back": [10, 11, 12], "odd": [5, 25, 29]}


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(
        image_registry,
        "IMAGE_READERS",
        [*image_registry.IMAGE_READERS, toy_domain.READER],
    )
    monkeypatch.setattr(roi_registry, "KINDS", [toy_domain.KIND, *roi_registry.KINDS])


@pytest.fixture
def points(tmp_path, rng):
    paths = []
    for sub in (1, 2):
        data = rng.normal(100, 5, (N_VOLUMES, N_POINTS)).astype(np.float32)
        data += np.linspace(0, 3, N_VOLUMES, dtype=np.float32)[:, None]  # a drift
        path = tmp_path / f"sub-0{sub}_task-rest{toy_domain.IMAGE_SUFFIX}"
        np.save(path, data)
        paths.append(path)
    groups = tmp_path / f"atlas-toy{toy_domain.GROUPS_SUFFIX}"
    groups.write_text(json.dumps(GROUPS))
    return paths, groups


def reference_means(path):
    data = np.load(path).astype(np.float64)
    return np.stack([data[:, idx].mean(axis=1) for idx in GROUPS.values()], axis=1)


def test_engine_streams_a_domain_it_was_never_written_for(toy, points):
    (path, _), groups = points
    image = image_registry.open_image(str(path))
    reduction = toy_domain.Groups(str(groups)).for_domain(image.domain)
    got = extract(image, [reduction], discard_scans=3, chunk_bytes=7 * 4 * N_POINTS)
    np.testing.assert_allclose(got.signals[0], reference_means(path)[3:], rtol=1e-6)
    assert got.signals[0].dtype == np.float32  # nilearn's rule: float32 images


@pytest.mark.filterwarnings("ignore:boolean values:FutureWarning")
def test_batch_extracts_cleans_writes_reports_and_resumes(toy, points, tmp_path):
    paths, groups = points
    out = tmp_path / "out"
    kwargs = dict(roi_file=str(groups), output_dir=str(out), t_r=2.0, detrend=True)
    result = niimasker_core.extract_timeseries([str(p) for p in paths], **kwargs)
    assert [item.stem for item in result] == ["sub-01_task-rest", "sub-02_task-rest"]
    for item, path in zip(result, paths):
        expected = clean(
            reference_means(path).astype(np.float32),
            detrend=True,
            standardize=False,
            t_r=2.0,
        )
        np.testing.assert_allclose(item.to_numpy(), expected, rtol=1e-5, atol=1e-4)
        assert item.columns == list(GROUPS)
        assert item.sidecar["Columns"] == list(GROUPS)
    table = out / "sub-01_task-rest_timeseries.tsv"
    assert table.read_text().splitlines()[0] == "front\tback\todd"
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert record["roi"]["kind"] == "groups" and record["status"] == "complete"
    assert "drawn on volume images only" in (out / "report.html").read_text()
    again = niimasker_core.extract_timeseries([str(p) for p in paths], **kwargs)
    assert again.skipped == [str(p) for p in paths]
    np.testing.assert_allclose(again[0].to_numpy(), result[0].to_numpy(), rtol=1e-8)


def test_a_volume_atlas_on_points_is_refused_naming_both(toy, points, atlas_file):
    (path, _), _ = points
    with pytest.raises(RoiError, match="sampled on 30 points"):
        niimasker_core.extract_timeseries(str(path), str(atlas_file))


def test_the_domain_says_what_it_cannot_do(toy, points):
    (path, _), groups = points
    with pytest.raises(SettingsError, match="cannot be smoothed"):
        niimasker_core.extract_timeseries(str(path), str(groups), smoothing_fwhm=6)
