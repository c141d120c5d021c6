"""A warning given once per image names its image (issue 21)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from niimasker_core.errors import NonSteadyStateWarning
from niimasker_core.faces import api
from niimasker_core.faces.api import extract_timeseries

EXTDATA = Path(__file__).resolve().parents[3] / "inst" / "extdata"


def test_nilearns_per_image_nyquist_warning_names_each_image():
    images = [
        str(
            EXTDATA
            / f"fmriprep/sub-0{i}/func/sub-0{i}_task-rest_space-MNI305_desc-preproc_bold.nii.gz"
        )
        for i in (1, 2)
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # t_r from each image's sidecar (2 s): 0.3 Hz is above its Nyquist frequency
        extract_timeseries(
            images,
            roi_file=str(EXTDATA / "atlas-synthetic12_dseg.nii.gz"),
            low_pass=0.3,
        )
    nyquist = [str(w.message) for w in caught if "Nyquist" in str(w.message)]
    assert [m.split("': ")[0] for m in nyquist] == [f"In '{image}" for image in images]


IMAGES = [
    str(
        EXTDATA
        / f"fmriprep/sub-0{i}/func/sub-0{i}_task-rest_space-MNI305_desc-preproc_bold.nii.gz"
    )
    for i in (1, 2)
]
ATLAS = str(EXTDATA / "atlas-synthetic12_dseg.nii.gz")


def _caught(**settings) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract_timeseries(
            IMAGES, roi_file=ATLAS, low_pass=0.3, report=False, **settings
        )
    return [str(w.message) for w in caught]


def test_a_warning_given_twice_for_one_image_is_said_once():
    # nilearn lowers the cut-off twice per image: for its signal and for its confounds
    nyquist = [m for m in _caught(regressor_files=_motion_tables()) if "Nyquist" in m]
    assert [m.split("': ")[0] for m in nyquist] == [f"In '{image}" for image in IMAGES]


def _motion_tables() -> list[str]:
    return [
        str(
            EXTDATA
            / f"fmriprep/sub-0{i}/func/sub-0{i}_task-rest_desc-confounds_timeseries.tsv"
        )
        for i in (1, 2)
    ]


def test_our_warning_about_an_image_names_the_image(tmp_path):
    """A warning naming the image's confounds file names the image too, in every face."""
    from niimasker_core.faces.r_bridge import extract_timeseries as r_extract

    images, tables = [], []
    for i, (image, table) in enumerate(zip(IMAGES, _motion_tables()), 1):
        copy = tmp_path / Path(image).name
        copy.write_bytes(Path(image).read_bytes())
        copy.with_name(Path(image).name.replace(".nii.gz", ".json")).write_text(
            '{"RepetitionTime": 2}'
        )
        rows = pd.read_csv(table, sep="\t")
        rows["non_steady_state_outlier00"] = [1] + [0] * (len(rows) - 1)
        path = tmp_path / f"sub-0{i}_task-rest_desc-confounds_timeseries.tsv"
        rows.to_csv(path, sep="\t", index=False, na_rep="n/a")
        images.append(str(copy))
        tables.append(str(path))
    settings = dict(regressor_files=tables, regressors=["trans_x"], report=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract_timeseries(images, roi_file=ATLAS, **settings)
    flagged = [
        str(w.message) for w in caught if isinstance(w.message, NonSteadyStateWarning)
    ]
    assert [m.split("': ")[0] for m in flagged] == [f"In '{image}" for image in images]
    said = r_extract({"input_files": images, "roi_file": ATLAS, **settings})["warnings"]
    flagged = [w["message"] for w in said if w["type"] == "NonSteadyStateWarning"]
    assert [m.split("': ")[0] for m in flagged] == [f"In '{image}" for image in images]
    assert all("`discard_scans`" in m or "discard_scans" in m for m in flagged)


def test_warnings_of_dask_workers_come_back_naming_the_image(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as client:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            api.extract_timeseries(
                IMAGES, ATLAS, str(tmp_path / "out"), low_pass=0.3, report=False,
                dask_scheduler=client,
            )  # fmt: skip
    nyquist = [str(w.message) for w in caught if "Nyquist" in str(w.message)]
    assert sorted(m.split("': ")[0] for m in nyquist) == [
        f"In '{image}" for image in IMAGES
    ]


def test_the_command_says_each_image_s_warning_once_naming_it(capsys, tmp_path):
    from niimasker_core.faces.cli import main

    code = main(
        [str(tmp_path / "out"), "-i", *IMAGES, "-r", ATLAS, "--low_pass", "0.3"]
        + ["--regressor_files", *_motion_tables(), "--regressors", "trans_x"]
        + ["--report", "false"]
    )
    assert code == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "Nyquist" in line]
    assert [line.split("': ")[0] for line in lines] == [
        f"niimasker: warning: In '{image}" for image in IMAGES
    ]
