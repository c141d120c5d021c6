"""The fast CIFTI header reader, field by field beside nibabel's reading."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from nibabel.cifti2 import cifti2_axes
from surface_data import (
    brain_models,
    random_keys,
    write_dlabel,
    write_dtseries,
)

from niimasker_core import errors
from niimasker_core.domains.surface.cifti_header import read_cifti_header


def nibabel_structures(path):
    axis = nib.load(path).header.get_axis(1)
    out = []
    for name, _, model in axis.iter_structures():
        if model.surface_mask.all():
            out.append((name, model.nvertices[name], model.vertex, None, None))
        else:
            out.append((name, None, model.voxel, model.affine, model.volume_shape))
    return out


@pytest.mark.parametrize("medial_wall", [True, False])
@pytest.mark.parametrize("subcortex", [True, False])
def test_a_dense_series_reads_as_nibabel_reads_it(
    tmp_path, rng, medial_wall, subcortex
):
    models = brain_models(rng, medial_wall=medial_wall, subcortex=subcortex)
    path = tmp_path / "x.dtseries.nii"
    data = write_dtseries(path, models, rng, n_volumes=17, t_r=0.72)
    header = read_cifti_header(str(path))
    assert (header.rows, header.columns) == data.shape
    assert header.row_kind == "SERIES" and header.column_kind == "BRAIN_MODELS"
    assert header.step_seconds == pytest.approx(0.72)
    np.testing.assert_array_equal(header.read_columns(0, data.shape[1]), data)
    np.testing.assert_array_equal(header.read_columns(5, 9), data[:, 5:9])
    expected = nibabel_structures(path)
    assert len(header.domain.structures) == len(expected)
    for ours, (name, size, indices, affine, shape) in zip(
        header.domain.structures, expected
    ):
        assert ours.name == name
        np.testing.assert_array_equal(ours.indices, indices)
        if ours.surface:
            assert ours.size == size
        else:
            np.testing.assert_allclose(ours.affine, affine)
            assert ours.volume_shape == tuple(shape)


def test_a_label_file_reads_its_table(tmp_path, rng):
    models = brain_models(rng)
    path = tmp_path / "a.dlabel.nii"
    keys = random_keys(models, rng)
    write_dlabel(path, models, keys, names={2: "Visual"})
    header = read_cifti_header(str(path))
    assert header.row_kind == "LABELS" and header.rows == 1
    table = nib.load(path).header.get_axis(0).label[0]
    assert header.label_tables == [{k: name for k, (name, _) in table.items()}]
    assert header.label_tables[0][2] == "Visual"
    np.testing.assert_array_equal(header.read_columns(0, len(keys))[0], keys)


def test_a_series_in_milliseconds_has_no_tr_in_seconds_unless_second(tmp_path, rng):
    models = brain_models(rng, subcortex=False)
    path = tmp_path / "hz.dtseries.nii"
    series = cifti2_axes.SeriesAxis(0, 0.5, 4, unit="HERTZ")
    data = np.zeros((4, len(models)), np.float32)
    nib.Cifti2Image(data, header=(series, models)).to_filename(str(path))
    assert read_cifti_header(str(path)).step_seconds is None


def test_a_truncated_file_names_the_file(tmp_path, rng):
    models = brain_models(rng)
    path = tmp_path / "cut.dtseries.nii"
    write_dtseries(path, models, rng)
    path.write_bytes(path.read_bytes()[:-1000])
    header = read_cifti_header(str(path))
    with pytest.raises(errors.InputFileError, match="truncated"):
        header.read_columns(0, header.columns)


def test_a_nifti_that_is_not_cifti_is_refused(tmp_path, affine):
    path = tmp_path / "plain.dtseries.nii"
    nib.Nifti2Image(np.zeros((3, 4, 5, 6), np.float32), affine).to_filename(str(path))
    with pytest.raises(errors.InputFileError, match="without CIFTI's XML extension"):
        read_cifti_header(str(path))
    nifti1 = tmp_path / "one.dtseries.nii"
    nib.Nifti1Image(np.zeros((3, 4, 5, 6), np.float32), affine).to_filename(str(nifti1))
    with pytest.raises(errors.InputFileError, match="not a NIfTI-2 file"):
        read_cifti_header(str(nifti1))


def test_scaled_values_read_as_nibabel_reads_them(tmp_path, rng):
    """scl_slope and scl_inter apply, in float64, as nibabel's array proxy."""
    from nibabel.nifti2 import header_dtype

    from niimasker_core.domains.surface.cifti import open_cifti_series

    models = brain_models(rng, subcortex=False)
    path = tmp_path / "scaled.dtseries.nii"
    series = cifti2_axes.SeriesAxis(0, 2.0, 6, unit="SECOND")
    stored = rng.normal(0, 100, (6, len(models))).astype(np.float32)
    nib.Cifti2Image(stored, header=(series, models)).to_filename(str(path))
    raw = bytearray(path.read_bytes())
    header = np.frombuffer(bytes(raw[:540]), dtype=header_dtype).copy()
    header["scl_slope"], header["scl_inter"] = 0.5, 3.0
    raw[:540] = header.tobytes()
    path.write_bytes(bytes(raw))
    expected = np.asanyarray(nib.load(path).dataobj)
    image = open_cifti_series(str(path))
    assert image.dtype == expected.dtype == np.float64
    got = np.vstack([block for _, block in image.chunks(start=0, chunk_bytes=64)])
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(image.header.read_columns(3, 9), expected[:, 3:9])


def test_a_file_written_again_is_read_again(tmp_path, rng):
    """The header is read once per process, until the file changes."""
    path = tmp_path / "bold.dtseries.nii"
    models = brain_models(rng)
    write_dtseries(path, models, rng, n_volumes=5)
    first = read_cifti_header(str(path))
    assert read_cifti_header(str(path)) is first
    write_dtseries(path, models, rng, n_volumes=7)
    assert read_cifti_header(str(path)).rows == 7
