"""Resampling onto the voxels read against nilearn's resample_img (continuous)."""

from __future__ import annotations

import numpy as np
import pytest
from test_resampling import SOURCE, TARGETS, nilearn_resampled

from niimasker_core.domains.volume.boxes import Boxes
from niimasker_core.domains.volume.grid import Grid
from niimasker_core.domains.volume.resampling import (
    axis_aligned_transform,
    value_bounds,
)
from niimasker_core.domains.volume.voxel_resampling import VoxelResampler

SHAPE, TARGET_SHAPE = (14, 15, 16), (12, 13, 11)


def as_block(data: np.ndarray) -> np.ndarray:
    """``(x, y, z, t)`` -> ``(t, voxels)`` in Fortran voxel order."""
    return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(data.shape[3], -1)


def volumes(dtype, rng) -> np.ndarray:
    data = (100 + 10 * rng.standard_normal(SHAPE + (4,))).astype(dtype)
    data[:3] = 0  # an edge where splines ring below 0 and above the range
    data[:, -2:] = 0
    return data


@pytest.mark.parametrize("name", sorted(TARGETS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_at_voxels_equal_nilearn(name, dtype):
    rng = np.random.default_rng(3)
    data = volumes(dtype, rng)
    target = TARGETS[name]
    expected = nilearn_resampled(data, target, TARGET_SHAPE, "continuous")
    expected = expected.reshape(-1, 4, order="F").T  # (t, voxels), clipped
    voxels = rng.choice(expected.shape[1], 500, replace=False)
    resampler = VoxelResampler(
        SHAPE, TARGET_SHAPE, *axis_aligned_transform(SOURCE, target), voxels
    )
    block = as_block(data)
    got = resampler(block, clip=value_bounds(block))
    assert got.dtype == dtype and got.shape == (4, 500)
    np.testing.assert_allclose(
        got, expected[:, voxels], rtol=0, atol=1e-6 * np.abs(expected).max()
    )


def test_clipping_is_applied_at_the_voxels():
    """The data ring past their range: unclipped values differ, clipped equal nilearn."""
    rng = np.random.default_rng(4)
    data = volumes(np.float64, rng)
    data[9:] = 0  # within the target grid: the spline rings below 0 past it
    target = TARGETS["flipped_and_finer"]
    expected = nilearn_resampled(data, target, TARGET_SHAPE, "continuous")
    expected = expected.reshape(-1, 4, order="F").T
    voxels = np.arange(expected.shape[1])
    resampler = VoxelResampler(
        SHAPE, TARGET_SHAPE, *axis_aligned_transform(SOURCE, target), voxels
    )
    block = as_block(data)
    raw = resampler(block, clip=None)
    assert np.abs(raw - expected).max() > 1e-3 * np.abs(expected).max()
    np.testing.assert_allclose(
        resampler(block, clip=value_bounds(block)), expected, rtol=0, atol=1e-9
    )


def test_all_zero_chunk_and_no_voxels():
    transform = axis_aligned_transform(SOURCE, TARGETS["coarser"])
    zeros = np.zeros((2, int(np.prod(SHAPE))), dtype=np.float32)
    got = VoxelResampler(SHAPE, TARGET_SHAPE, *transform, np.arange(7))(zeros)
    np.testing.assert_array_equal(got, np.zeros((2, 7), np.float32))
    none = VoxelResampler(SHAPE, TARGET_SHAPE, *transform, np.arange(0))(zeros + 1)
    assert none.shape == (2, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_and_boxes_resample_at_equal_resample_from(dtype):
    rng = np.random.default_rng(5)
    block = as_block(volumes(dtype, rng))
    source = Grid(SHAPE, SOURCE)
    frame = Grid(TARGET_SHAPE, TARGETS["half_voxel_shift"])
    voxels = rng.choice(frame.n_samples, 300, replace=False)
    bounds = value_bounds(block)
    whole = frame.resample_from(source, block, bounds)
    got = frame.resample_at(source, block, voxels, bounds)
    np.testing.assert_allclose(got, whole[:, voxels], rtol=0, atol=2e-5)
    assert got.flags.f_contiguous  # laid out as the engine's gathers
    inner = frame.affine.copy()
    inner[:3, 3] += frame.affine[:3, :3] @ [2, 3, 1]
    boxes = Boxes.around([Grid((5, 6, 7), inner), Grid((4, 4, 4), frame.affine)])
    samples = rng.choice(boxes.n_samples, 50, replace=False)
    whole = boxes.resample_from(source, block, bounds)
    got = boxes.resample_at(source, block, samples, bounds)
    np.testing.assert_allclose(got, whole[:, samples], rtol=0, atol=2e-5)


def test_non_finite_chunks_go_through_nilearn():
    rng = np.random.default_rng(6)
    data = volumes(np.float64, rng)
    data[6, 5, 8, 1] = np.nan  # at a target voxel, so that it stays NaN there
    block = as_block(data)
    source, frame = Grid(SHAPE, SOURCE), Grid(TARGET_SHAPE, TARGETS["coarser"])
    voxels = np.arange(frame.n_samples)
    whole = frame.resample_from(source, block, value_bounds(block))
    got = frame.resample_at(source, block, voxels, value_bounds(block))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(whole))
    assert np.isnan(got).any()


@pytest.mark.parametrize("kind", ["voxels", "separable"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halves_of_a_chunk_in_two_threads_change_nothing(monkeypatch, kind, dtype):
    """Each half of a chunk's volumes is resampled in a thread: equal to one thread."""
    from niimasker_core.domains.volume import resampling

    rng = np.random.default_rng(5)
    data = np.concatenate([volumes(dtype, rng)] * 2, axis=3)[..., :7]  # odd: 3 + 4
    block = as_block(data)
    transform = axis_aligned_transform(SOURCE, TARGETS["flipped_and_finer"])

    def make():
        if kind == "voxels":
            voxels = rng.choice(int(np.prod(TARGET_SHAPE)), 300, replace=False)
            return VoxelResampler(SHAPE, TARGET_SHAPE, *transform, voxels)
        return resampling.SeparableResampler(SHAPE, TARGET_SHAPE, *transform)

    state = rng.bit_generator.state
    monkeypatch.setattr(resampling, "_CORES", 2)
    split = make()
    halves = [split(block[:1]), split(block)]  # the first chunk sets the reference
    rng.bit_generator.state = state
    monkeypatch.setattr(resampling, "_CORES", 1)
    whole = make()
    one = [whole(block[:1]), whole(block)]
    for got, expected in zip(halves, one):
        assert got.shape == expected.shape and got.dtype == dtype
        # BLAS may sum a product of another size in another order: float64 rounding
        tolerance = 1e-13 * np.abs(expected).max() if dtype == np.float64 else 0
        np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("kind", ["voxels", "separable"])
def test_reused_work_arrays_give_each_chunk_its_own_values(monkeypatch, kind):
    """Chunks of other lengths and other boxes of data, one resampler: as fresh ones.

    Each thread keeps its intermediate arrays from chunk to chunk
    (``Workspace``); a chunk whose box of nonzero data or number of volumes
    differs from the last one's must not read the last one's values.
    """
    from niimasker_core.domains.volume import resampling

    monkeypatch.setattr(resampling, "_CORES", 2)
    rng = np.random.default_rng(8)
    data = volumes(np.float32, rng)
    moved = np.zeros_like(data)
    moved[4:, 2:9, 5:] = data[4:, 2:9, 5:]  # another box of nonzero data
    chunks = [as_block(data), as_block(moved)[:3], as_block(data)[1:2]]
    transform = axis_aligned_transform(SOURCE, TARGETS["flipped_and_finer"])
    voxels = rng.choice(int(np.prod(TARGET_SHAPE)), 400, replace=False)

    def make():
        if kind == "voxels":
            return VoxelResampler(SHAPE, TARGET_SHAPE, *transform, voxels)
        return resampling.SeparableResampler(SHAPE, TARGET_SHAPE, *transform)

    reused = make()
    reference = chunks[0][:1]  # the same first volume sets both references
    reused(reference, clip=None)
    for chunk in chunks:
        fresh = make()
        fresh(reference, clip=None)
        np.testing.assert_array_equal(reused(chunk, clip=None), fresh(chunk, clip=None))


def test_a_forked_child_resamples_in_halves_too(monkeypatch):
    """The helper thread is the parent's: a forked child starts its own (no hang)."""
    import multiprocessing

    from niimasker_core.domains.volume import resampling

    monkeypatch.setattr(resampling, "_CORES", 2)
    rng = np.random.default_rng(9)
    block = as_block(volumes(np.float64, rng))
    transform = axis_aligned_transform(SOURCE, TARGETS["coarser"])
    expected = VoxelResampler(SHAPE, TARGET_SHAPE, *transform, np.arange(50))(block)
    assert resampling._helper is not None  # the parent's helper thread exists
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(_resample_in_child, (block, transform))
        got = result.get(timeout=60)  # without the fork hook this never returns
    np.testing.assert_array_equal(got, expected)


def _resample_in_child(block, transform):
    from niimasker_core.domains.volume import resampling

    resampling._CORES = 2  # the halves, in this forked process
    return VoxelResampler(SHAPE, TARGET_SHAPE, *transform, np.arange(50))(block)
