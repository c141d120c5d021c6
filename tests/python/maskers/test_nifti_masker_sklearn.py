"""niimasker_core.NiftiMasker as a scikit-learn estimator."""

from __future__ import annotations

import importlib.util
import sys
import types

import nibabel as nib
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from niimasker_core import NiftiMasker

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])


def _nilearn_expected_failures():
    """nilearn's own list of the scikit-learn checks its estimators are expected to fail.

    nilearn's estimator_checks module imports two of nilearn's test-only
    dependencies at the top (polars, numpydoc's ``NumpyDocString``) for checks
    not used here; when they are not installed, bare placeholders stand in
    during that import only.
    """
    stubs = {}
    if importlib.util.find_spec("polars") is None:
        stubs["polars"] = types.ModuleType("polars")
    if importlib.util.find_spec("numpydoc") is None:
        stubs["numpydoc"] = types.ModuleType("numpydoc")
        stubs["numpydoc.docscrape"] = types.ModuleType("numpydoc.docscrape")
        stubs["numpydoc.docscrape"].NumpyDocString = type("NumpyDocString", (), {})
    sys.modules.update(stubs)
    try:
        from nilearn._utils.estimator_checks import return_expected_failed_checks
    finally:
        for name in stubs:
            del sys.modules[name]
    return return_expected_failed_checks


@parametrize_with_checks(
    estimators=[NiftiMasker(standardize=None)],
    expected_failed_checks=_nilearn_expected_failures(),
)
def test_scikit_learn_checks_nilearn_runs(estimator, check):
    """The checks nilearn runs on its own NiftiMasker, with its expected failures."""
    check(estimator)


@pytest.fixture(scope="module")
def decoding_data():
    rng = np.random.default_rng(3)
    y = np.tile([0, 1], 15)
    data = rng.standard_normal((6, 7, 8, 30)).astype(np.float32) + 50
    data[1:3, 2:5, 2:6] += 1.5 * y  # the classes differ in a small region
    volumes = [nib.Nifti1Image(data[..., t], AFFINE) for t in range(30)]
    return volumes, y


def test_pipeline_and_cross_val_score(decoding_data):
    volumes, y = decoding_data
    pipe = Pipeline(
        [
            ("masker", NiftiMasker(standardize="zscore_sample")),
            ("clf", LogisticRegression()),
        ]
    )
    scores = cross_val_score(pipe, volumes, y, cv=3)
    assert scores.mean() > 0.8
    pipe.set_params(masker__smoothing_fwhm=4.0, masker__clean_args={"extrapolate": 0})
    assert pipe.get_params()["masker__clean_args"] == {"extrapolate": 0}
    assert pipe.fit(volumes, y).score(volumes, y) > 0.8


def test_clone_keeps_every_parameter():
    masker = NiftiMasker(
        detrend=True,
        mask_args={"opening": 1},
        clean_args={"butterworth__padtype": "even"},
    )
    copy = clone(masker)
    assert copy.get_params() == masker.get_params()
    assert copy.clean_args == {"butterworth__padtype": "even"}
    assert "butterworth__padtype" in repr(masker)


@pytest.mark.parametrize("container", ["default", "pandas", "polars"])
def test_set_output(container, decoding_data):
    if container == "polars":
        pytest.importorskip("polars")
    volumes, _ = decoding_data
    masker = NiftiMasker().set_output(transform=container)
    out = masker.fit_transform(volumes[:4])
    assert out.shape == (4, masker.n_elements_)
    if container == "pandas":
        assert list(out.columns[:2]) == ["niftimasker0", "niftimasker1"]
    back = masker.inverse_transform(out)
    assert back.shape == (6, 7, 8, 4)


def test_metadata_routing_passes_confounds(decoding_data):
    volumes, y = decoding_data
    confounds = np.random.default_rng(0).standard_normal((30, 2))
    expected = NiftiMasker(standardize="zscore_sample").fit_transform(
        volumes, confounds=confounds
    )
    with sklearn.config_context(enable_metadata_routing=True):
        masker = NiftiMasker(standardize="zscore_sample").set_transform_request(
            confounds=True
        )
        clf = LogisticRegression().set_fit_request(sample_weight=False)
        pipe = Pipeline([("masker", masker), ("clf", clf)])
        pipe.fit(volumes, y, confounds=confounds)
        np.testing.assert_allclose(
            pipe[0].transform(volumes, confounds=confounds), expected
        )
