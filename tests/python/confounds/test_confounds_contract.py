"""The seed's confounds contract: named columns are those regressors, for every volume.

Each number is checked against nilearn's ``NiftiLabelsMasker`` given the same
columns (and, for ``discard_scans="auto"``, the same volumes dropped).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from fmriprep_tree import fmriprep_table, write_atlas, write_bold, write_confounds
from nilearn.image import index_img
from nilearn.maskers import NiftiLabelsMasker

from niimasker_core.confounds.tables import read_confounds_table
from niimasker_core.errors import ConfoundsError
from niimasker_core.faces.api import extract_timeseries
from niimasker_core.faces.cli import main

N = 64
COLUMNS = ["trans_x", "trans_y", "rot_z", "csf"]
CLEANING = {"detrend": True, "standardize": "zscore_sample"}


@pytest.fixture
def bold_file(tmp_path, rng):
    return write_bold(tmp_path / "sub-01_task-rest_bold.nii.gz", rng, N)


@pytest.fixture
def atlas_file(tmp_path, rng):
    return write_atlas(tmp_path / "atlas.nii.gz", rng)


@pytest.fixture
def confounds_tsv(tmp_path, rng):
    table, meta = fmriprep_table(N, rng, non_steady=3, fd_spikes=(20,))
    return write_confounds(
        tmp_path / "sub-01_task-rest_desc-confounds_timeseries.tsv", table, meta
    )


def masker(bold, atlas, confounds, discard=0, **cleaning):
    img = index_img(str(bold), slice(discard, None)) if discard else str(bold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NiftiLabelsMasker(str(atlas), **cleaning).fit_transform(
            img, confounds=confounds
        )


def ours(bold, atlas, confounds, **settings):
    out = extract_timeseries(
        [str(bold)], str(atlas), regressor_files=[str(confounds)], **settings
    )
    item = out.timeseries[0]
    return item.data.to_numpy(), item


def close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_named_columns_keep_every_volume(bold_file, atlas_file, confounds_tsv):
    table = pd.read_csv(confounds_tsv, sep="\t")
    with pytest.warns(UserWarning, match=r"volume\(s\) 0, 1, 2 .*discard_scans='auto'"):
        got, item = ours(
            bold_file, atlas_file, confounds_tsv, regressors=COLUMNS, **CLEANING
        )
    assert got.shape[0] == N and item.volumes == list(range(N))
    close(got, masker(bold_file, atlas_file, table[COLUMNS].to_numpy(), **CLEANING))
    assert item.sidecar["NonSteadyStateVolumes"] == [0, 1, 2]
    assert item.sidecar["NonSteadyStateVolumesKept"] == [0, 1, 2]
    assert item.sidecar["CensoredVolumes"] == []


def test_discard_scans_auto_drops_the_flagged_leading_volumes(
    bold_file, atlas_file, confounds_tsv
):
    table = pd.read_csv(confounds_tsv, sep="\t")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        got, item = ours(
            bold_file,
            atlas_file,
            confounds_tsv,
            regressors=COLUMNS,
            discard_scans="auto",
            **CLEANING,
        )
    expected = masker(
        bold_file, atlas_file, table[COLUMNS].to_numpy()[3:], discard=3, **CLEANING
    )
    close(got, expected)
    assert item.volumes == list(range(3, N))
    assert item.sidecar["DiscardedScans"] == 3
    assert item.sidecar["NonSteadyStateVolumesKept"] == []
    assert item.sidecar["Cleaning"]["discard_scans"] == "auto"


def test_discard_scans_auto_without_flags_or_confounds_drops_nothing(
    bold_file, atlas_file
):
    out = extract_timeseries([str(bold_file)], str(atlas_file), discard_scans="auto")
    assert out.timeseries[0].sidecar["DiscardedScans"] == 0
    assert out.timeseries[0].shape[0] == N


def test_discard_scans_auto_on_the_command_line(
    tmp_path, bold_file, atlas_file, confounds_tsv
):
    code = main(
        [
            str(tmp_path / "out"),
            "-i",
            str(bold_file),
            "-r",
            str(atlas_file),
            "--regressor_files",
            str(confounds_tsv),
            "--regressors",
            "trans_x",
            "--discard_scans",
            "auto",
            "--report",
            "false",
        ]
    )
    assert code == 0
    sidecar = json.loads(
        (tmp_path / "out" / "sub-01_task-rest_bold_timeseries.json").read_text()
    )
    assert sidecar["DiscardedScans"] == 3


def test_strategies_keep_nilearns_censoring(bold_file, atlas_file, confounds_tsv):
    _, item = ours(bold_file, atlas_file, confounds_tsv, regressors="simple")
    assert item.volumes[:2] == [3, 4] and item.sidecar["DiscardedScans"] == 0


def test_demean_does_not_change_named_columns(bold_file, atlas_file, confounds_tsv):
    table = pd.read_csv(confounds_tsv, sep="\t")
    options = {**CLEANING, "standardize_confounds": False}
    with pytest.warns(UserWarning, match="non-steady-state"):
        demeaned, item = ours(
            bold_file, atlas_file, confounds_tsv, regressors=COLUMNS, **options
        )
    expected = masker(bold_file, atlas_file, table[COLUMNS].to_numpy(), **options)
    close(demeaned, expected)
    assert item.sidecar["ConfoundsDemeaned"] is False


def write_headerless(path, values, fmt="%.8e"):
    np.savetxt(path, values, fmt=fmt, delimiter="  ")
    return path


@pytest.mark.parametrize(
    ("name", "first_columns"),
    [
        ("rp_sub-01_task-rest_bold.txt", ["trans_x", "trans_y", "trans_z"]),
        ("sub-01_task-rest_bold_mcf.par", ["rot_x", "rot_y", "rot_z"]),
        ("sub-01_task-rest_motion.1D", ["c1", "c2", "c3"]),
    ],
)
def test_headerless_motion_files_are_read(
    tmp_path, rng, bold_file, atlas_file, name, first_columns
):
    values = rng.normal(0, 0.1, (N, 6)).cumsum(axis=0)
    path = write_headerless(tmp_path / name, values)
    got, item = ours(bold_file, atlas_file, path, **CLEANING)
    close(got, masker(bold_file, atlas_file, np.loadtxt(path), **CLEANING))
    assert item.sidecar["ConfoundColumns"][:3] == first_columns
    header = item.sidecar["ConfoundsFileHeader"]
    assert header["HasHeader"] is False and header["Columns"][:3] == first_columns
    # the names can be chosen like any column's
    picked, _ = ours(
        bold_file, atlas_file, path, regressors=[first_columns[0]], **CLEANING
    )
    close(picked, masker(bold_file, atlas_file, np.loadtxt(path)[:, :1], **CLEANING))


def test_headerless_file_with_another_column_count_is_numbered(tmp_path, rng):
    path = write_headerless(tmp_path / "rp_run1.txt", rng.normal(size=(N, 7)))
    table = read_confounds_table(str(path))
    assert list(table.columns) == [f"c{k}" for k in range(1, 8)]


def test_header_only_confounds_file(tmp_path):
    path = tmp_path / "sub-01_desc-confounds_timeseries.tsv"
    path.write_text("trans_x\ttrans_y\tcsf\n")
    with pytest.raises(ConfoundsError, match="header row .* but no data rows"):
        read_confounds_table(str(path))
    path.write_text("")
    with pytest.raises(ConfoundsError, match="is empty"):
        read_confounds_table(str(path))


def test_a_strategy_reads_a_headerless_spm_file(tmp_path, rng, bold_file, atlas_file):
    values = rng.normal(0, 0.1, (N, 6)).cumsum(axis=0)
    path = write_headerless(tmp_path / "rp_sub-01_task-rest_bold.txt", values)
    got, item = ours(
        bold_file, atlas_file, path, regressors=["motion"], motion="basic", **CLEANING
    )
    assert sorted(item.sidecar["ConfoundColumns"]) == sorted(
        ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    )
    close(got, masker(bold_file, atlas_file, np.loadtxt(path), **CLEANING))
