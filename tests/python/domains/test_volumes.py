"""Streaming reader: every chunk equals nibabel's ``np.asanyarray(img.dataobj)``."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import SHAPE, make_bold

from niimasker_core.domains.volume.nifti import read_image_info
from niimasker_core.domains.volume.stream import iter_chunks
from niimasker_core.errors import ImageNotFoundError, InputFileError

N_VOXELS = int(np.prod(SHAPE))


def expected_rows(path: Path) -> np.ndarray:
    """nibabel's scaled data as (volumes, voxels in Fortran order)."""
    data = np.asanyarray(nib.load(str(path)).dataobj)
    return data.reshape(N_VOXELS, -1, order="F").T


def streamed(path: Path, **kwargs) -> np.ndarray:
    info = read_image_info(path, need_4d=False)
    rows, firsts = [], []
    for first, block in iter_chunks(info, **kwargs):
        assert block.dtype == info.dtype
        assert block.dtype.isnative
        firsts.append(first)
        rows.append(block.copy())  # blocks may be reused
    out = np.concatenate(rows)
    assert firsts[0] == kwargs.get("start", 0)
    return out


def assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype.newbyteorder("=")
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def patch_scaling(nii: Path, slope: float, inter: float) -> None:
    """Write scl_slope/scl_inter straight into a .nii header (bytes 112-119)."""
    raw = bytearray(nii.read_bytes())
    endian = "<" if struct.unpack("<i", raw[:4])[0] == 348 else ">"
    raw[112:120] = struct.pack(f"{endian}ff", slope, inter)
    nii.write_bytes(bytes(raw))


def gzip_file(nii: Path, level: int = 6) -> Path:
    out = nii.with_name(nii.name + ".gz")
    out.write_bytes(gzip.compress(nii.read_bytes(), compresslevel=level))
    return out


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
@pytest.mark.parametrize("chunk_bytes", [1, 3 * N_VOXELS * 4 + 5, 2**26])
@pytest.mark.parametrize("read_ahead", [True, False])
def test_float32_equals_nibabel(tmp_path, rng, affine, suffix, chunk_bytes, read_ahead):
    path = tmp_path / f"bold{suffix}"
    make_bold(rng, affine).to_filename(path)
    got = streamed(path, chunk_bytes=chunk_bytes, read_ahead=read_ahead)
    assert_same(got, expected_rows(path))


@pytest.mark.parametrize("start", [1, 7, 39])
def test_start_skips_leading_volumes(tmp_path, rng, affine, start):
    path = tmp_path / "bold.nii.gz"
    make_bold(rng, affine).to_filename(path)
    got = streamed(path, start=start, chunk_bytes=2 * N_VOXELS * 4)
    assert_same(got, expected_rows(path)[start:])


def test_start_past_the_end_yields_nothing(bold_file):
    info = read_image_info(bold_file)
    assert list(iter_chunks(info, start=info.n_volumes)) == []


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i2"])
def test_big_endian(tmp_path, rng, affine, suffix, dtype):
    data = (rng.normal(0, 1000, SHAPE + (6,))).astype(np.dtype(dtype).newbyteorder("="))
    header = nib.Nifti1Header(endianness=">")
    header.set_data_dtype(data.dtype)
    img = nib.Nifti1Image(data, affine, header)
    path = tmp_path / f"be{suffix}"
    img.to_filename(path)
    info = read_image_info(path)
    assert info.raw_dtype.byteorder == ">"
    assert_same(streamed(path, chunk_bytes=4 * N_VOXELS), expected_rows(path))


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
@pytest.mark.parametrize(
    "dtype,slope,inter",
    [
        (np.int16, 0.37, -12.5),
        (np.int16, 2.0, 0.0),
        (np.uint8, 1.0, 100.0),
        (np.int32, 1e-3, 3.0),
        (np.float32, 0.5, 1.0),
    ],
)
def test_scaled_integers(tmp_path, rng, affine, suffix, dtype, slope, inter):
    info_int = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info_int is not None:
        data = rng.integers(info_int.min, info_int.max, SHAPE + (5,), endpoint=True)
    else:
        data = rng.normal(0, 10, SHAPE + (5,))
    nii = tmp_path / "scaled.nii"
    nib.Nifti1Image(data.astype(dtype), affine).to_filename(nii)
    patch_scaling(nii, slope, inter)
    path = nii if suffix == ".nii" else gzip_file(nii)
    expected = expected_rows(path)
    assert expected.dtype.kind == "f"  # nibabel applied the scaling
    info = read_image_info(path)
    assert info.scaled
    assert info.dtype == expected.dtype
    assert_same(streamed(path, chunk_bytes=2 * N_VOXELS), expected)


def test_unscaled_int16_keeps_its_dtype(tmp_path, rng, affine):
    path = tmp_path / "int.nii.gz"
    data = rng.integers(-3000, 3000, SHAPE + (4,)).astype(np.int16)
    nib.Nifti1Image(data, affine).to_filename(path)
    got = streamed(path)
    assert got.dtype == np.int16
    assert_same(got, expected_rows(path))


@pytest.mark.parametrize("extra", [(1, 6), (6, 1)])
def test_5d_with_singleton_is_4d(tmp_path, rng, affine, extra):
    data = rng.normal(size=SHAPE + extra).astype(np.float32)
    path = tmp_path / "five.nii.gz"
    nib.Nifti1Image(data, affine).to_filename(path)
    info = read_image_info(path)
    assert info.shape == SHAPE
    assert info.n_volumes == 6
    expected = data.reshape(N_VOXELS, 6, order="F").T
    assert_same(streamed(path), expected)


def test_5d_without_singleton_is_an_error(tmp_path, rng, affine):
    path = tmp_path / "five.nii.gz"
    nib.Nifti1Image(
        rng.normal(size=SHAPE + (2, 3)).astype(np.float32), affine
    ).to_filename(path)
    with pytest.raises(InputFileError, match="4D image"):
        read_image_info(path)


def test_3d_image(tmp_path, rng, affine):
    path = tmp_path / "vol.nii.gz"
    data = rng.normal(size=SHAPE).astype(np.float32)
    nib.Nifti1Image(data, affine).to_filename(path)
    with pytest.raises(InputFileError, match="3D image.*4D fMRI series is needed"):
        read_image_info(path)
    info = read_image_info(path, need_4d=False)
    assert info.n_volumes == 1
    assert_same(streamed(path), data.reshape(1, -1, order="F"))


def test_float64_and_header_facts(tmp_path, rng, affine):
    path = tmp_path / "f64.nii"
    img = make_bold(rng, affine, n_volumes=9, dtype=np.float64)
    img.header.set_data_dtype(np.float64)
    img.header.set_xyzt_units("mm", "msec")
    img.header["pixdim"][4] = 720.0
    img.to_filename(path)
    info = read_image_info(path)
    assert info.dtype == np.float64
    assert info.header_t_r == pytest.approx(0.72)
    assert info.shape == SHAPE and info.n_volumes == 9
    np.testing.assert_array_equal(info.affine, nib.load(str(path)).affine)
    assert_same(streamed(path, chunk_bytes=1), expected_rows(path))


def test_multi_member_gzip(tmp_path, rng, affine):
    nii = tmp_path / "bold.nii"
    make_bold(rng, affine, n_volumes=10).to_filename(nii)
    raw = nii.read_bytes()
    cut = len(raw) // 3
    path = tmp_path / "multi.nii.gz"
    path.write_bytes(
        gzip.compress(raw[:cut]) + gzip.compress(raw[cut:], compresslevel=1)
    )
    assert_same(streamed(path, chunk_bytes=3 * N_VOXELS * 4), expected_rows(nii))


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii"])
@pytest.mark.parametrize("keep", [0.2, 0.7, 0.999])
def test_truncated_file_is_a_clear_error(tmp_path, rng, affine, suffix, keep):
    import zlib

    path = tmp_path / f"bold{suffix}"
    make_bold(rng, affine, n_volumes=12).to_filename(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    info = read_image_info(path)  # the header is intact
    kept = raw[: int(len(raw) * keep)]
    data = zlib.decompressobj(31).decompress(kept) if suffix == ".nii.gz" else kept
    intact = (len(data) - info.offset) // (N_VOXELS * 4)
    with pytest.raises(
        InputFileError,
        match=rf"ends early: {intact} of its 12 volumes are complete and volume "
        rf"{intact} \(0-based\) is cut short.*truncated",
    ):
        for _ in iter_chunks(info, chunk_bytes=2 * N_VOXELS * 4):
            pass


def test_truncated_gzip_counts_its_intact_volumes(tmp_path, rng, affine):
    """39 of 40 volumes intact, read in one chunk: the message says 39, not 0."""
    import gzip
    import zlib

    plain = tmp_path / "bold.nii"
    make_bold(rng, affine, n_volumes=40).to_filename(plain)
    raw = plain.read_bytes()
    whole = gzip.compress(raw, compresslevel=1)
    wanted = 352 + 39 * N_VOXELS * 4 + N_VOXELS * 2  # and half of volume 39
    cut = next(
        n
        for n in range(64, len(whole), 16)
        if len(zlib.decompressobj(31).decompress(whole[:n])) >= wanted
    )
    path = tmp_path / "bold.nii.gz"
    path.write_bytes(whole[:cut])
    with pytest.raises(InputFileError, match="39 of its 40 volumes are complete"):
        for _ in iter_chunks(read_image_info(path)):
            pass


def test_corrupt_gzip_is_a_clear_error(tmp_path, rng, affine):
    path = tmp_path / "bold.nii.gz"
    make_bold(rng, affine, n_volumes=12).to_filename(path)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(raw))
    info = read_image_info(path)
    with pytest.raises(InputFileError, match="corrupt|ends early"):
        for _ in iter_chunks(info):
            pass


def test_missing_and_non_nifti_files(tmp_path):
    with pytest.raises(ImageNotFoundError, match="not found"):
        read_image_info(tmp_path / "nope.nii.gz")
    text = tmp_path / "notes.nii.gz"
    text.write_text("not an image")
    with pytest.raises(InputFileError, match="Cannot read"):
        read_image_info(text)


def test_consumer_stopping_early_closes_cleanly(tmp_path, rng, affine):
    path = tmp_path / "bold.nii.gz"
    make_bold(rng, affine).to_filename(path)
    info = read_image_info(path)
    chunks = iter_chunks(info, chunk_bytes=N_VOXELS * 4)
    first, block = next(chunks)
    assert first == 0 and block.shape == (1, N_VOXELS)
    chunks.close()  # the read-ahead worker is joined and the file closed
    assert_same(streamed(path), expected_rows(path))
