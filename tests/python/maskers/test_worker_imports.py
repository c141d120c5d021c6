"""The drop-ins' workers import neither scikit-learn nor nilearn.signal.

Importing ``nilearn.signal`` in a worker (with the scikit-learn it pulls in)
made the ``Multi*`` maskers 1.20x the command's batch: the confounds are
checked and stacked with numpy
(:func:`~niimasker_core.confounds.stacking.sanitize_confounds`, equal to
nilearn's) and the path checked with nibabel. A region masker's worker no
longer receives the masker at all (unpickling it imports scikit-learn, ~0.9 s
a worker): it runs a :class:`~niimasker_core.maskers.region_job.RegionJob`.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.signal import sanitize_confounds as nilearn_sanitize

from niimasker_core import (
    MultiNiftiLabelsMasker,
    MultiNiftiMapsMasker,
    NiftiLabelsMasker,
    NiftiMapsMasker,
)
from niimasker_core.confounds.stacking import sanitize_confounds

_WORKER = """
import pickle, sys
import numpy as np
masker = pickle.loads(sys.stdin.buffer.read())
confounds = np.random.default_rng(0).normal(size=(int(sys.argv[2]), 3))
signals = masker.transform(sys.argv[1], confounds=confounds)
heavy = [m for m in ("nilearn.signal", "nilearn.image", "sklearn.linear_model")
         if m in sys.modules]
print(",".join(heavy) or "none", signals.shape)
"""


@pytest.fixture
def maps_file(tmp_path, affine):
    path = tmp_path / "maps.nii.gz"
    grid = np.indices((7, 8, 9)).transpose(1, 2, 3, 0)
    maps = [np.exp(-((grid - c) ** 2).sum(-1) / 4.0) for c in ([2, 3, 3], [5, 4, 6])]
    nib.Nifti1Image(np.stack(maps, -1).astype(np.float32), affine).to_filename(path)
    return path


@pytest.mark.parametrize("kind", ["labels", "maps"])
def test_a_worker_cleans_without_nilearn_signal(
    tmp_path, bold_file, atlas_file, maps_file, kind
):
    roi = atlas_file if kind == "labels" else maps_file
    cls = NiftiLabelsMasker if kind == "labels" else NiftiMapsMasker
    masker = cls(
        str(roi), standardize="zscore_sample", detrend=True, high_pass=0.01, t_r=2.0
    ).fit()
    n_volumes = 40
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, str(bold_file), str(n_volumes)],
        input=pickle.dumps(masker),
        capture_output=True,
        check=True,
    )
    heavy, shape = done.stdout.decode().split(" ", 1)
    assert heavy == "none", done.stdout
    assert shape.startswith(f"({n_volumes},")


_JOB = """
import pickle, sys
job = pickle.loads(sys.stdin.buffer.read())
from niimasker_core.maskers.region_job import run_region_job
signals = run_region_job(job)
heavy = [m for m in ("sklearn", "nilearn", "pandas") if m in sys.modules]
print(",".join(heavy) or "none")
import numpy as np
np.save(sys.argv[1], signals)
"""


@pytest.mark.parametrize("kind", ["labels", "maps"])
def test_a_multi_maskers_worker_imports_no_scikit_learn(
    tmp_path, bold_file, atlas_file, maps_file, kind
):
    from joblib.externals.loky.backend.reduction import dumps  # as loky sends tasks

    roi = atlas_file if kind == "labels" else maps_file
    cls = MultiNiftiLabelsMasker if kind == "labels" else MultiNiftiMapsMasker
    masker = cls(str(roi), detrend=True, t_r=2.0, n_jobs=2).fit()
    job = masker._region_job(str(bold_file), None, None, True)
    out = tmp_path / "signals.npy"
    done = subprocess.run(
        [sys.executable, "-c", _JOB, str(out)],
        input=dumps(job),
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().strip() == "none", done.stdout
    serial = masker.transform_imgs([str(bold_file)], n_jobs=1)[0]
    np.testing.assert_array_equal(np.load(out), serial)


def _cases(n: int) -> list:
    rng = np.random.default_rng(3)
    two = rng.normal(size=(n, 3))
    return [
        two,
        rng.normal(size=n),  # one column
        rng.integers(0, 5, size=(n, 2)),  # integers become float64
        rng.integers(0, 5, size=(n, 2)).astype(np.int16),  # ... or float32
        two.astype(np.float32),
        pd.DataFrame(two, columns=["a", "b", "c"]),
        [two, rng.normal(size=n)],
        (pd.DataFrame(two), two),
    ]


@pytest.mark.parametrize("case", range(8))
def test_sanitize_confounds_equals_nilearn(case):
    confounds = _cases(20)[case]
    ours = sanitize_confounds(20, confounds)
    theirs = nilearn_sanitize(20, confounds)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "confounds",
    [np.zeros((19, 2)), np.zeros((20, 2, 1)), [np.zeros((20, 1)), np.zeros(3)]],
)
def test_sanitize_confounds_refuses_as_nilearn(confounds):
    with pytest.raises(ValueError) as theirs:
        nilearn_sanitize(20, confounds)
    with pytest.raises(ValueError) as ours:
        sanitize_confounds(20, confounds)
    assert str(ours.value) == str(theirs.value)


def test_sanitize_confounds_reads_files_as_nilearn(tmp_path):
    table = tmp_path / "confounds.tsv"
    pd.DataFrame(np.arange(40.0).reshape(20, 2), columns=["x", "y"]).to_csv(
        table, sep="\t", index=False
    )
    np.testing.assert_array_equal(
        sanitize_confounds(20, str(table)), nilearn_sanitize(20, str(table))
    )
    assert sanitize_confounds(20, None) is None


_MULTI = """
import sys
from niimasker_core import MultiNiftiLabelsMasker
files = sys.argv[2:]
masker = MultiNiftiLabelsMasker(sys.argv[1], detrend=True, t_r=2.0, n_jobs=1)
signals = masker.fit_transform(files)
heavy = ("nilearn.image", "nilearn.signal", "nilearn._utils.bids", "nilearn.maskers")
print(",".join(m for m in heavy if m in sys.modules) or "none")
"""


def test_a_multi_masker_checks_a_list_of_files_without_nilearn(
    tmp_path, bold_file, atlas_file
):
    """nilearn's checks of each file with nibabel, its look-up table with pandas.

    The masker's process no longer imports ``nilearn.image`` (``fit``'s check
    of the files) or nilearn's look-up table helpers (``lut_`` from the atlas
    alone), ~0.7 s; nilearn's tags (``nilearn._utils.tags``, ~4 ms) it still
    imports.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MULTI, str(atlas_file), str(bold_file), str(bold_file)],
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().strip() == "none", done.stdout


@pytest.mark.parametrize("files", ["empty_in_list", "missing_in_list", "surface"])
def test_lists_refused_as_nilearn_refuses_them(tmp_path, bold_file, affine, files):
    from nilearn.image.image import check_volume_for_fit

    from niimasker_core.maskers.base import VolumeMasker

    empty = tmp_path / "empty.nii.gz"
    nib.Nifti1Image(np.zeros((3, 3, 0), np.float32), affine).to_filename(empty)
    imgs = {
        "empty_in_list": [str(bold_file), str(empty)],
        "missing_in_list": [str(bold_file), str(tmp_path / "missing.nii.gz")],
        "surface": [str(bold_file), 3],
    }[files]
    with pytest.raises((TypeError, ValueError)) as theirs:
        check_volume_for_fit(imgs)
    with pytest.raises(type(theirs.value)) as ours:
        VolumeMasker._check_imgs(imgs)
    assert str(ours.value) == str(theirs.value)
