"""The engine: one streamed pass, chunk by chunk, equals whole-image nilearn maths."""

from __future__ import annotations

import sys

import nibabel as nib
import numpy as np
import pytest
from conftest import SHAPE, make_atlas, make_bold
from nilearn.image import smooth_img
from scipy import ndimage

from niimasker_core.domains.volume.nifti import read_image_info
from niimasker_core.engine import extract
from niimasker_core.errors import InputFileError
from niimasker_core.rois.label_image import mean_reducer

VOLUME_BYTES = int(np.prod(SHAPE)) * 4
CHUNKS = [1, 3 * VOLUME_BYTES + 7, 2**26]  # one volume, three volumes, everything


def ndimage_means(data: np.ndarray, labels: np.ndarray, ids: list[int]) -> np.ndarray:
    """nilearn's NiftiLabelsMasker arithmetic: ndimage.mean per volume."""
    return np.stack(
        [
            ndimage.mean(data[..., t], labels=labels, index=ids)
            for t in range(data.shape[3])
        ]
    )


def setup(tmp_path, rng, affine, *, dtype=np.float32, n_volumes=20, data=None):
    if data is None:
        img = make_bold(rng, affine, n_volumes=n_volumes, dtype=dtype)
        img.header.set_data_dtype(dtype)
    else:
        img = nib.Nifti1Image(data, affine)
    path = tmp_path / "bold.nii.gz"
    img.to_filename(path)
    labels = np.asanyarray(make_atlas(rng, affine, n_regions=6).dataobj).astype(
        np.int64
    )
    ids = [1, 2, 3, 4, 5, 6, 99]  # 99 is absent: a NaN column
    reduction = mean_reducer(labels, ids, [f"r{i}" for i in ids])
    data = np.asanyarray(nib.load(str(path)).dataobj)
    return read_image_info(path), reduction, data, labels, ids


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
@pytest.mark.parametrize("discard", [0, 3])
def test_labels_means_are_bit_identical_to_ndimage(
    tmp_path, rng, affine, chunk_bytes, discard
):
    info, reduction, data, labels, ids = setup(tmp_path, rng, affine)
    got = extract(info, [reduction], discard_scans=discard, chunk_bytes=chunk_bytes)
    assert got.first_volume == discard
    (signals,) = got.signals
    expected = ndimage_means(data, labels, ids)[discard:].astype(np.float32)
    assert signals.dtype == np.float32  # as nilearn, for float32 images
    np.testing.assert_array_equal(signals, expected)
    assert np.isnan(signals[:, -1]).all()
    assert reduction.empty_columns == ["r99"]


def test_summation_order_is_nilearns(tmp_path, rng, affine):
    # float64 values spanning 20 orders of magnitude: the float64 sum of a region
    # depends on the order of its voxels, so only nilearn's (C) order matches.
    magnitude = 10.0 ** rng.integers(-8, 12, SHAPE + (6,))
    data = (rng.normal(size=SHAPE + (6,)) * magnitude).astype(np.float64)
    info, reduction, data, labels, ids = setup(tmp_path, rng, affine, data=data)
    c_sums = np.bincount(labels.ravel(order="C"), weights=data[..., 0].ravel(order="C"))
    f_sums = np.bincount(labels.ravel(order="F"), weights=data[..., 0].ravel(order="F"))
    assert not np.array_equal(c_sums, f_sums)  # the data do tell the orders apart
    (signals,) = extract(info, [reduction], chunk_bytes=2 * VOLUME_BYTES).signals
    assert signals.dtype == np.float64
    np.testing.assert_array_equal(signals, ndimage_means(data, labels, ids))


def test_int16_image_gives_float64(tmp_path, rng, affine):
    data = rng.integers(-2000, 2000, SHAPE + (7,)).astype(np.int16)
    info, reduction, data, labels, ids = setup(tmp_path, rng, affine, data=data)
    (signals,) = extract(info, [reduction], chunk_bytes=VOLUME_BYTES).signals
    assert signals.dtype == np.float64
    np.testing.assert_array_equal(signals, ndimage_means(data, labels, ids))


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
@pytest.mark.parametrize("fwhm", [4.0, 7.5])
def test_smoothing_equals_nilearn_smooth_img(tmp_path, rng, affine, chunk_bytes, fwhm):
    info, reduction, _, labels, ids = setup(tmp_path, rng, affine, n_volumes=9)
    smoothed = smooth_img(str(tmp_path / "bold.nii.gz"), fwhm).get_fdata(
        dtype=np.float32
    )
    (signals,) = extract(
        info, [reduction], smoothing_fwhm=fwhm, chunk_bytes=chunk_bytes
    ).signals
    expected = ndimage_means(smoothed, labels, ids).astype(np.float32)
    np.testing.assert_array_equal(signals, expected)


def test_several_reductions_share_one_pass(tmp_path, rng, affine):
    info, reduction, data, labels, ids = setup(tmp_path, rng, affine)
    other_labels = (labels % 2) + (labels > 0)
    other = mean_reducer(other_labels, [1, 2], ["odd", "even"])
    both = extract(info, [reduction, other], chunk_bytes=4 * VOLUME_BYTES).signals
    np.testing.assert_array_equal(both[0], extract(info, [reduction]).signals[0])
    expected = ndimage_means(data, other_labels, [1, 2]).astype(np.float32)
    np.testing.assert_array_equal(both[1], expected)


@pytest.mark.parametrize("nan_policy", ["zero", "omit"])
@pytest.mark.parametrize("smoothing", [None, 5.0])
def test_sets_on_the_same_voxels_share_one_gather(
    tmp_path, rng, affine, nan_policy, smoothing
):
    """An atlas and its coarser merge read one gather; each equals its run alone."""
    from niimasker_core.engine.plan import _same_voxels

    img = make_bold(rng, affine, n_volumes=12)
    data = np.asanyarray(img.dataobj).copy()
    labels = np.asanyarray(make_atlas(rng, affine, n_regions=6).dataobj).astype(int)
    inside = np.argwhere(labels > 0)
    data[tuple(inside[0])][4] = np.nan  # one ROI voxel of volume 4
    path = tmp_path / "bold.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    info = read_image_info(path)
    fine = mean_reducer(labels, [1, 2, 3, 4, 5, 6], list("abcdef"))
    coarse = mean_reducer((labels + 1) // 2, [1, 2, 3], ["x", "y", "z"])
    other = mean_reducer((labels > 3).astype(int), [1], ["high"])
    assert _same_voxels([fine, coarse, other], {"grid": [0, 1, 2]}) == [0, 0, 2]
    options = {"nan_policy": nan_policy, "smoothing_fwhm": smoothing}
    together = extract(
        info, [fine, coarse, other], chunk_bytes=VOLUME_BYTES * 5, **options
    )
    for red, got in zip((fine, coarse, other), together.signals):
        np.testing.assert_array_equal(got, extract(info, [red], **options).signals[0])


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("smoothing", [None, 5.0])
def test_nan_or_inf_in_the_roi_is_an_error(tmp_path, rng, affine, bad_value, smoothing):
    data = make_bold(rng, affine, n_volumes=12).get_fdata(dtype=np.float32)
    labels = np.asanyarray(make_atlas(rng, affine, n_regions=6).dataobj)
    inside = np.argwhere(labels > 0)[5]
    data[tuple(inside)][8] = bad_value
    info, reduction, *_ = setup(tmp_path, rng, affine, data=data)
    reduction = mean_reducer(
        labels.astype(np.int64), [1, 2, 3, 4, 5, 6], list("abcdef")
    )
    with pytest.raises(
        InputFileError,
        match=r"NaN or infinite values inside the ROI \(first in volume 8",
    ):
        extract(
            info, [reduction], smoothing_fwhm=smoothing, chunk_bytes=3 * VOLUME_BYTES
        )
    with pytest.raises(
        InputFileError, match=r"volume 8 \(0-based\)"
    ):  # an index in the file
        extract(info, [reduction], discard_scans=2, chunk_bytes=VOLUME_BYTES)
    (signals,) = extract(
        info, [reduction], discard_scans=9
    ).signals  # dropped: no error
    assert np.isfinite(signals).all()


def test_nan_outside_the_roi_is_ignored(tmp_path, rng, affine):
    data = make_bold(rng, affine, n_volumes=6).get_fdata(dtype=np.float32)
    labels = np.asanyarray(make_atlas(rng, affine, n_regions=6).dataobj).astype(
        np.int64
    )
    outside = np.argwhere(labels == 0)[0]
    data[tuple(outside)] = np.nan
    info, *_ = setup(tmp_path, rng, affine, data=data)
    reduction = mean_reducer(labels, [1, 2, 3, 4, 5, 6], list("abcdef"))
    (signals,) = extract(info, [reduction]).signals
    assert np.isfinite(signals).all()
    np.testing.assert_array_equal(
        signals, ndimage_means(data, labels, [1, 2, 3, 4, 5, 6]).astype(np.float32)
    )


def test_large_finite_values_are_not_mistaken_for_inf(tmp_path, rng, affine):
    data = np.full(SHAPE + (3,), 3e38, dtype=np.float32)  # float32 sums overflow
    info, reduction, data, labels, ids = setup(tmp_path, rng, affine, data=data)
    (signals,) = extract(info, [reduction]).signals
    np.testing.assert_array_equal(
        signals, ndimage_means(data, labels, ids).astype(np.float32)
    )


def test_progress_counts_kept_volumes(tmp_path, rng, affine):
    info, reduction, *_ = setup(tmp_path, rng, affine)
    seen = []
    extract(
        info,
        [reduction],
        discard_scans=2,
        progress=seen.append,
        chunk_bytes=5 * VOLUME_BYTES,
    )
    assert seen == [5, 10, 15, 18]


def test_import_meanwhile_loads_modules_and_tolerates_missing_ones(
    tmp_path, rng, affine
):
    info, reduction, *_ = setup(tmp_path, rng, affine)
    name = "colorsys"
    sys.modules.pop(name, None)
    extract(info, [reduction], import_meanwhile=[name, "no_such_module_niimasker"])
    assert name in sys.modules
    assert "no_such_module_niimasker" not in sys.modules


def test_memory_does_not_grow_with_the_number_of_volumes(tmp_path, rng, affine):
    import tracemalloc

    peaks = {}
    for n_volumes in (20, 400):
        folder = tmp_path / str(n_volumes)
        folder.mkdir()
        data = rng.normal(100, 5, SHAPE + (n_volumes,)).astype(np.float32)
        info, reduction, *_ = setup(folder, rng, affine, data=data)
        tracemalloc.start()
        extract(info, [reduction], chunk_bytes=4 * VOLUME_BYTES)
        peaks[n_volumes] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # 380 more volumes are 770 kB of image; only the T x R outputs may grow
    outputs_bytes = 380 * len(reduction.columns) * 8 * 2  # float64 + float32 copies
    assert peaks[400] - peaks[20] < outputs_bytes + 64 * 1024 < 380 * VOLUME_BYTES / 5


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_mean_of_the_first_volumes_equals_the_reports_own_read(
    tmp_path, rng, affine, chunk_bytes, dtype
):
    """The report's overlay mean, made as the image streams: the same bits as a read."""
    from niimasker_core.batch.report.overlay import mean_volume

    info, reduction, data, *_ = setup(tmp_path, rng, affine, dtype=dtype)
    extracted = extract(
        info, [reduction], discard_scans=3, chunk_bytes=chunk_bytes, mean_volumes=10
    )
    mean, count = extracted.volume_mean
    expected, n_used = mean_volume(info, list(range(3, 20)), max_volumes=10)
    assert count == n_used == 10
    np.testing.assert_array_equal(mean, expected)
    # fewer volumes left than asked: all of them
    short = extract(info, [reduction], discard_scans=15, mean_volumes=10).volume_mean
    assert short[1] == 5
    np.testing.assert_array_equal(short[0], mean_volume(info, range(15, 20))[0])
    assert extract(info, [reduction]).volume_mean is None  # not asked
