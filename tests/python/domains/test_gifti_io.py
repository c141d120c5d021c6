"""The GIFTI reader gives nibabel's values, bit for bit, for every encoding.

The oracle is nibabel itself: ``np.stack([d.data for d in nib.load(p).darrays])``
and each ``d.data``, on nibabel's own test files, on files nibabel writes
(ASCII, base64, gzipped base64; row- and column-major) and on files written
here byte by byte for what nibabel does not write (big-endian, external files,
line-wrapped base64, CDATA, entities, comments).
"""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from nibabel.gifti import GiftiDataArray, GiftiImage, GiftiMetaData

from niimasker_core.domains.surface.gifti_io import (
    TIME_SERIES,
    read_gifti_arrays,
    read_gifti_data_arrays,
)
from niimasker_core.errors import ImageNotFoundError, InputFileError

NIBABEL_DATA = Path(nib.__file__).parent / "gifti" / "tests" / "data"
NIBABEL_FILES = sorted(NIBABEL_DATA.glob("*.gii"))

DTYPES = {
    "NIFTI_TYPE_UINT8": np.uint8,
    "NIFTI_TYPE_INT8": np.int8,
    "NIFTI_TYPE_INT16": np.int16,
    "NIFTI_TYPE_INT32": np.int32,
    "NIFTI_TYPE_FLOAT32": np.float32,
    "NIFTI_TYPE_FLOAT64": np.float64,
}
ENCODINGS = ["ASCII", "Base64Binary", "GZipBase64Binary", "ExternalFileBinary"]


def nibabel_stack(path: Path) -> np.ndarray:
    return np.stack([d.data for d in nib.load(str(path)).darrays])


def assert_identical(got: np.ndarray, expected: np.ndarray) -> None:
    """Same shape, same native dtype, same bits."""
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype.newbyteorder("=")
    assert got.dtype.isnative
    got_bytes = np.ascontiguousarray(got).view(np.uint8)
    expected_native = np.ascontiguousarray(expected, dtype=got.dtype)
    np.testing.assert_array_equal(got_bytes, expected_native.view(np.uint8))


def values(rng: np.random.Generator, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 1000).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def write_gifti(
    path: Path,
    arrays: list[np.ndarray],
    *,
    encoding: str = "GZipBase64Binary",
    endian: str = "LittleEndian",
    order: str = "RowMajorOrder",
    intent: str = TIME_SERIES,
    meta: str = "",
    wrap: int = 0,
) -> Path:
    """Write GIFTI XML by hand: what nibabel writes and what it only reads."""
    byteorder = ">" if endian == "BigEndian" else "<"
    npo = "F" if order == "ColumnMajorOrder" else "C"
    external = path.with_suffix(".dat")
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<GIFTI Version="1.0" NumberOfDataArrays="{len(arrays)}">{meta}'
    )
    parts, blob = [head], b""
    for array in arrays:
        name = next(n for n, t in DTYPES.items() if np.dtype(t) == array.dtype)
        raw = array.astype(array.dtype.newbyteorder(byteorder)).tobytes(order=npo)
        dims = "".join(f' Dim{i}="{n}"' for i, n in enumerate(array.shape))
        attrs = (
            f'Intent="{intent}" DataType="{name}" ArrayIndexingOrder="{order}" '
            f'Dimensionality="{array.ndim}"{dims} Encoding="{encoding}" '
            f'Endian="{endian}"'
        )
        if encoding == "ExternalFileBinary":
            attrs += (
                f' ExternalFileName="{external.name}" ExternalFileOffset="{len(blob)}"'
            )
            blob += raw
            text = ""
        elif encoding == "ASCII":
            text = " ".join(map(repr, array.ravel(order=npo).tolist()))
        else:
            packed = zlib.compress(raw) if encoding.startswith("GZip") else raw
            text = base64.b64encode(packed).decode()
            if wrap:
                text = "\n".join(text[i : i + wrap] for i in range(0, len(text), wrap))
        parts.append(f"<DataArray {attrs}><MetaData/><Data>{text}</Data></DataArray>")
    parts.append("</GIFTI>\n")
    path.write_text("".join(parts))
    if encoding == "ExternalFileBinary":
        external.write_bytes(blob)
    return path


def nibabel_write(path: Path, arrays: list[np.ndarray], **kwargs) -> Path:
    darrays = [GiftiDataArray(a, **kwargs) for a in arrays]
    image = GiftiImage(darrays=darrays)  # 'force': the types GIFTI does not list too
    path.write_bytes(image.to_xml(mode="force"))
    return path


# nibabel's own test files ---------------------------------------------------


@pytest.mark.parametrize("path", NIBABEL_FILES, ids=lambda p: p.name)
def test_each_array_of_nibabels_test_files(path):
    expected = [d.data for d in nib.load(str(path)).darrays]
    got = read_gifti_data_arrays(path)
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        assert_identical(ours, theirs)
        assert ours.flags.f_contiguous == theirs.flags.f_contiguous


@pytest.mark.parametrize("path", NIBABEL_FILES, ids=lambda p: p.name)
def test_nibabels_test_files_stacked_or_refused(path):
    darrays = nib.load(str(path)).darrays
    alike = len({(d.data.size, d.data.dtype) for d in darrays}) == 1
    if not alike:  # a mesh: coordinates and triangles
        with pytest.raises(InputFileError, match="different (lengths|data types)"):
            read_gifti_arrays(path)
        return
    got = read_gifti_arrays(path)
    if len(darrays) > 1 or darrays[0].data.ndim == 1:
        assert_identical(got.data, nibabel_stack(path).reshape(len(darrays), -1))
    else:
        assert_identical(got.data, darrays[0].data)
    assert got.n_arrays == len(darrays)
    img = nib.load(str(path))
    assert got.meta == dict(img.meta)
    assert [dict(m) for m in got.array_meta] == [dict(d.meta) for d in darrays]


def test_fmriprep_task_series_metadata():
    got = read_gifti_arrays(NIBABEL_DATA / "task.func.gii")
    assert got.intent == TIME_SERIES
    assert got.data.shape == (10, 642)
    assert got.time_step == 0.0  # FreeSurfer writes an unknown frame time so
    assert got.anatomical_structure is None
    curv = read_gifti_arrays(NIBABEL_DATA / "rh.shape.curv.gii")
    assert curv.anatomical_structure == "CortexRight"  # a DataArray's own


# every encoding, byte order, index order and data type -----------------------


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("order", ["RowMajorOrder", "ColumnMajorOrder"])
@pytest.mark.parametrize("endian", ["LittleEndian", "BigEndian"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_as_nibabel_reads_it(
    tmp_path, rng, encoding, endian, order, dtype
):
    kwargs = dict(encoding=encoding, endian=endian, order=order)
    series = [values(rng, dtype, (7,)) for _ in range(4)]
    path = write_gifti(tmp_path / "series.func.gii", series, **kwargs)
    got = read_gifti_arrays(path)
    assert_identical(got.data, nibabel_stack(path))
    assert (
        got.intent == TIME_SERIES and got.dims == (7,) and got.dtype == got.data.dtype
    )

    matrix = values(rng, dtype, (7, 3))
    path = write_gifti(
        tmp_path / "matrix.gii", [matrix], intent="NIFTI_INTENT_NONE", **kwargs
    )
    (theirs,) = [d.data for d in nib.load(str(path)).darrays]
    np.testing.assert_array_equal(theirs, matrix)  # the file holds what was meant
    (ours,) = read_gifti_data_arrays(path)
    assert_identical(ours, theirs)
    assert_identical(read_gifti_arrays(path).data, theirs)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("encoding", ["ASCII", "B64BIN", "B64GZ"])
def test_files_nibabel_writes(tmp_path, rng, encoding, order, dtype):
    name = next(n for n, t in DTYPES.items() if t is dtype)
    arrays = [values(rng, dtype, (6, 1)) for _ in range(3)]
    kwargs = dict(encoding=encoding, ordering=order, datatype=name, intent=TIME_SERIES)
    path = nibabel_write(tmp_path / "frames.func.gii", arrays, **kwargs)
    assert_identical(read_gifti_arrays(path).data, nibabel_stack(path).reshape(3, 6))
    path = nibabel_write(
        tmp_path / "one.func.gii", [values(rng, dtype, (5, 4))], **kwargs
    )
    (theirs,) = [d.data for d in nib.load(str(path)).darrays]
    got = read_gifti_arrays(path)
    assert got.transposed
    assert_identical(got.data, theirs.T)


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_do_not_change_values(tmp_path, rng, threads):
    arrays = [values(rng, np.float32, (3000,)) for _ in range(400)]  # several tasks
    path = nibabel_write(tmp_path / "long.func.gii", arrays, intent=TIME_SERIES)
    assert_identical(
        read_gifti_arrays(path, n_threads=threads).data, nibabel_stack(path)
    )


# what fMRIPrep and nilearn write ---------------------------------------------


def test_fsaverage5_series_as_fmriprep_writes_it(tmp_path, rng):
    """10242 vertices, 650 frames, float32, gzipped base64, one array per frame."""
    frames = rng.uniform(200, 1200, 10242).astype(np.float32) * (
        1 + 0.01 * rng.standard_normal((650, 1), dtype=np.float32)
    )
    darrays = [
        GiftiDataArray(
            frame,
            intent=TIME_SERIES,
            datatype="NIFTI_TYPE_FLOAT32",
            meta=GiftiMetaData({"TimeStep": "2000.000000"}),
        )
        for frame in frames
    ]
    meta = GiftiMetaData({"AnatomicalStructurePrimary": "CortexLeft"})
    path = tmp_path / "sub-01_task-rest_hemi-L_space-fsaverage5_bold.func.gii"
    nib.save(GiftiImage(darrays=darrays, meta=meta), str(path))
    got = read_gifti_arrays(path)
    assert_identical(got.data, nibabel_stack(path))
    assert got.data.shape == (650, 10242) and got.n_arrays == 650
    assert got.anatomical_structure == "CortexLeft"
    assert got.time_step == 2000.0
    assert not got.transposed


def test_nilearn_reads_a_series_as_the_transpose(tmp_path, rng):
    from nilearn.surface import load_surf_data

    frames = [values(rng, np.float32, (9,)) for _ in range(5)]
    path = nibabel_write(tmp_path / "series.func.gii", frames, intent=TIME_SERIES)
    np.testing.assert_array_equal(
        load_surf_data(str(path)), read_gifti_arrays(path).data.T
    )
    column = [values(rng, np.float32, (9, 1)) for _ in range(5)]  # FreeSurfer's shape
    path = nibabel_write(tmp_path / "fs.func.gii", column, intent=TIME_SERIES)
    np.testing.assert_array_equal(
        load_surf_data(str(path)), read_gifti_arrays(path).data.T
    )


def test_nilearns_own_files_keep_nibabels_shape(tmp_path, rng):
    """nilearn writes (vertices, frames) as one array and reads it back transposed."""
    from nilearn.surface import PolyData, load_surf_data

    data = values(rng, np.float32, (9, 4))
    path = tmp_path / "x_hemi-L.func.gii"
    PolyData(left=data).to_filename(path)
    got = read_gifti_arrays(path)
    assert got.intent == "NIFTI_INTENT_NONE" and not got.transposed
    assert_identical(got.data, data)
    assert load_surf_data(str(path)).shape == (4, 9)  # nilearn's own quirk


# payloads the fast cut leaves to the XML parser -----------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda s: s, id="plain"),
        pytest.param(
            lambda s: s.replace("<Data>", "<Data><![CDATA[").replace(
                "</Data>", "]]></Data>"
            ),
            id="cdata",
        ),
        pytest.param(lambda s: s.replace("<Data>", "<Data>&#10;"), id="entity"),
        pytest.param(
            lambda s: s.replace("<MetaData/>", "<MetaData/><!-- <Data>x</Data> -->"),
            id="comment",
        ),
        pytest.param(lambda s: s.replace("<Data>", "<Data >"), id="spaced-tag"),
        pytest.param(
            lambda s: s.replace(
                "<MetaData/>",
                "<MetaData><MD><Name>n</Name><Value><![CDATA[<Data>]]></Value></MD></MetaData>",
            ),
            id="data-in-cdata",
        ),
    ],
)
def test_unusual_but_valid_xml(tmp_path, rng, edit):
    arrays = [values(rng, np.float32, (11,)) for _ in range(3)]
    path = write_gifti(tmp_path / "odd.func.gii", arrays, wrap=8)
    path.write_text(edit(path.read_text()))
    assert_identical(read_gifti_arrays(path).data, nibabel_stack(path))


def test_external_data_in_a_self_closing_element(tmp_path, rng):
    arrays = [values(rng, np.int16, (5,)) for _ in range(2)]
    path = write_gifti(tmp_path / "ext.gii", arrays, encoding="ExternalFileBinary")
    path.write_text(path.read_text().replace("<Data></Data>", "<Data/>"))
    assert_identical(read_gifti_arrays(path).data, nibabel_stack(path))


def test_metadata_with_entities_and_cdata(tmp_path, rng):
    meta = (
        "<MetaData><MD><Name>AnatomicalStructurePrimary</Name><Value><![CDATA[CortexLeft]]>"
        "</Value></MD><MD><Name> Description </Name><Value>a &amp; b</Value></MD></MetaData>"
    )
    path = write_gifti(
        tmp_path / "m.func.gii", [values(rng, np.float32, (4,))], meta=meta
    )
    got = read_gifti_arrays(path)
    assert got.meta == dict(nib.load(str(path)).meta)
    assert got.anatomical_structure == "CortexLeft" and got.time_step is None


# one clear error for each broken file --------------------------------------


def assert_input_error(path: Path, match: str) -> None:
    with pytest.raises(InputFileError, match=match) as caught:
        read_gifti_arrays(path)
    assert str(path) in str(caught.value)
    error = caught.value  # raised here, not chained to a library's exception
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


@pytest.fixture
def series_file(tmp_path, rng) -> Path:
    arrays = [values(rng, np.float32, (400,)) for _ in range(3)]
    return write_gifti(tmp_path / "sub-01_hemi-L_bold.func.gii", arrays)


def test_missing_file(tmp_path):
    with pytest.raises(ImageNotFoundError, match="does not exist"):
        read_gifti_arrays(tmp_path / "absent.func.gii")


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_file(series_file, cut):
    raw = series_file.read_bytes()
    series_file.write_bytes(raw[: int(len(raw) * cut)])
    assert_input_error(series_file, "cut short or corrupt")


def test_corrupt_payload(series_file):
    text = series_file.read_text()
    at = text.index("<Data>") + 40
    series_file.write_text(text[:at] + "AAAAAAAA" + text[at + 8 :])
    assert_input_error(series_file, "DataArray 0 is corrupt")


def test_payload_of_the_wrong_size(series_file):
    series_file.write_text(series_file.read_text().replace('Dim0="400"', 'Dim0="401"'))
    assert_input_error(series_file, "DataArray 0 holds 1600 bytes .* need 1604")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"\x5c\x01\x00\x00" + bytes(400), "not a GIFTI file"),
        (b"", "not a GIFTI file"),
        (b'<?xml version="1.0"?><CIFTI/>', "not GIFTI"),
        (b'<?xml version="1.0"?><GIFTI Version="1.0"/>', "no DataArray"),
        (b"<GIFTI><DataArray", "cut short or corrupt"),
    ],
    ids=["nifti", "empty", "other-xml", "no-arrays", "broken-xml"],
)
def test_not_a_gifti_file(tmp_path, content, match):
    path = tmp_path / "bad.gii"
    path.write_bytes(content)
    assert_input_error(path, match)


def test_arrays_of_different_lengths(tmp_path, rng):
    arrays = [values(rng, np.float32, (10,)), values(rng, np.float32, (9,))]
    path = write_gifti(tmp_path / "ragged.func.gii", arrays)
    assert_input_error(
        path, "different lengths: DataArray 0 has 10 values, DataArray 1 has 9"
    )


def test_arrays_of_different_types(tmp_path, rng):
    arrays = [values(rng, np.float32, (10,)), values(rng, np.int32, (10,))]
    assert_input_error(
        write_gifti(tmp_path / "mixed.gii", arrays), "different data types"
    )


def test_arrays_that_are_not_one_value_per_vertex(tmp_path, rng):
    arrays = [values(rng, np.float32, (4, 3)) for _ in range(2)]
    assert_input_error(
        write_gifti(tmp_path / "mesh.gii", arrays), "not one value per vertex"
    )


@pytest.mark.parametrize(
    "old, new, match",
    [
        (
            'Encoding="GZipBase64Binary"',
            'Encoding="Zip"',
            "Encoding='Zip', which GIFTI",
        ),
        (
            'DataType="NIFTI_TYPE_FLOAT32"',
            'DataType="NIFTI_TYPE_RGB24"',
            "not plain numbers",
        ),
        ('Dim0="400"', 'Dim0="many"', "Dim0='many', not a whole number"),
        ('Dimensionality="1"', 'Dimensionality="2"', "Dimensionality=2 but gives"),
        ("<Data>", "<Other>", "no <Data> element"),
    ],
    ids=["encoding", "datatype", "dim", "dimensionality", "no-data"],
)
def test_bad_attributes(series_file, old, new, match):
    text = series_file.read_text().replace(old, new, 1)
    if new == "<Other>":
        text = text.replace("</Data>", "</Other>", 1)
    series_file.write_text(text)
    assert_input_error(series_file, match)


def test_external_file_missing_or_short(tmp_path, rng):
    arrays = [values(rng, np.float64, (6,)) for _ in range(2)]
    path = write_gifti(tmp_path / "ext.gii", arrays, encoding="ExternalFileBinary")
    data = path.with_suffix(".dat")
    data.write_bytes(data.read_bytes()[:-8])
    assert_input_error(path, "DataArray 1 holds 40 bytes .* need 48")
    data.unlink()
    assert_input_error(path, "ext.dat', which cannot be read")


def test_a_folder(tmp_path):
    folder = tmp_path / "dir.gii"
    folder.mkdir()
    assert_input_error(folder, "Cannot read")


def test_lazy_reading_decodes_at_the_first_use(series_file):
    """Opening a run reads its skeleton only; a corrupt payload is met when read."""
    from niimasker_core.domains.registry import open_image

    text = series_file.read_text()
    at = text.index("<Data>") + 40
    series_file.write_text(text[:at] + "AAAAAAAA" + text[at + 8 :])
    lazy = read_gifti_arrays(series_file, lazy=True)
    assert lazy.shape == (3, 400) and lazy.dtype == np.float32
    image = open_image(str(series_file))  # what the report does: no decoding
    assert image.n_volumes == 3 and image.domain.n_samples == 400
    with pytest.raises(InputFileError, match="DataArray 0 is corrupt"):
        lazy.data  # noqa: B018
    with pytest.raises(InputFileError, match="DataArray 0 is corrupt"):
        next(image.chunks())
