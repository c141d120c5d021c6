"""FreeSurfer MGH surface runs: .mgh mapped and streamed, .mgz read whole, the same values."""

from __future__ import annotations

import numpy as np
import pytest
from surface_data import surface_series, write_mgh

from niimasker_core import errors
from niimasker_core.domains.registry import open_image
from niimasker_core.domains.surface.mgh import MghSeries


@pytest.fixture
def halves(tmp_path, rng):
    data = {"lh": surface_series(rng, 70, 9), "rh": surface_series(rng, 90, 9)}
    for hemi, values in data.items():
        for suffix in ("mgh", "mgz"):
            write_mgh(tmp_path / f"{hemi}.run.{suffix}", values, tr_ms=2000.0)
    return tmp_path, np.hstack([data["lh"], data["rh"]])


def test_an_mgh_pair_streams_chunks_of_frames_from_disk(halves):
    tmp, expected = halves
    image = open_image(str(tmp / "rh.run.mgh"), (str(tmp / "lh.run.mgh"),))
    assert isinstance(image, MghSeries)
    assert [h.shape for h in image.halves] == [(9, 70), (9, 90)]  # on disk, not read
    assert not any(isinstance(h, np.ndarray) for h in image.halves)
    assert image.files == (str(tmp / "lh.run.mgh"), str(tmp / "rh.run.mgh"))
    assert (image.n_volumes, image.domain.n_samples, image.dtype) == (
        9,
        160,
        np.float32,
    )
    assert image.header_t_r == 2.0
    one_volume = image.volume_bytes
    chunks = list(image.chunks(start=2, chunk_bytes=2 * one_volume))
    assert [first for first, _ in chunks] == [2, 4, 6, 8]
    np.testing.assert_array_equal(np.vstack([b for _, b in chunks]), expected[2:])
    samples = np.array([0, 69, 70, 159])
    np.testing.assert_array_equal(
        image.read_zeroed(samples, None, None), expected[:, samples]
    )


def test_mgz_and_mgh_give_the_same_values(halves):
    tmp, expected = halves
    image = open_image(str(tmp / "lh.run.mgz"), (str(tmp / "rh.run.mgz"),))
    np.testing.assert_array_equal(np.vstack([b for _, b in image.chunks()]), expected)
    assert (
        image.domain.key
        == open_image(str(tmp / "lh.run.mgh"), (str(tmp / "rh.run.mgh"),)).domain.key
    )


def test_halves_of_different_lengths_or_sides_are_refused(tmp_path, rng):
    write_mgh(tmp_path / "lh.a.mgh", surface_series(rng, 30, 5))
    write_mgh(tmp_path / "rh.a.mgh", surface_series(rng, 30, 4))
    write_mgh(tmp_path / "lh.b.mgh", surface_series(rng, 30, 5))
    with pytest.raises(errors.InputFileError, match="number of volumes"):
        open_image(str(tmp_path / "lh.a.mgh"), (str(tmp_path / "rh.a.mgh"),))
    with pytest.raises(errors.InputFileError, match="both hold the cortex_left"):
        open_image(str(tmp_path / "lh.a.mgh"), (str(tmp_path / "lh.b.mgh"),))


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(errors.ImageNotFoundError, match="lh.none.mgh"):
        open_image(str(tmp_path / "lh.none.mgh"))
    broken = tmp_path / "lh.broken.mgz"
    broken.write_bytes(b"not an mgh file")
    with pytest.raises(errors.InputFileError, match="FreeSurfer MGH"):
        open_image(str(broken))
