"""A warning given once per image names its image (issue 21)."""

from __future__ import annotations

import warnings
from pathlib import Path

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
