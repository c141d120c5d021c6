"""Oracle tests: the drop-in region maskers beside nilearn's, with the same arguments.

Every ROI case the suite already has (the labels, spheres and maps oracle
cases) runs through ``niimasker_core``'s masker and nilearn's, on a file and
on an in-memory image; then masks, resampling, confounds, Multi maskers,
``set_output``, a ``Pipeline`` and scikit-learn's estimator checks.
"""

from __future__ import annotations

import warnings

import nibabel as nib
import nilearn.maskers as nl
import numpy as np
import pandas as pd
import pytest
from conftest import make_bold
from rois.test_oracle_labels import CASES as LABEL_CASES
from rois.test_oracle_maps import CASES as MAP_CASES
from rois.test_oracle_maps import CENTRES, blobs
from rois.test_oracle_spheres import CASES as SPHERE_CASES
from rois.test_oracle_spheres import SEEDS
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_nifti_masker_sklearn import (
    _nilearn_expected_failures as nilearn_expected_failures,
)

import niimasker_core as core

STRATEGIES = ["median", "sum", "minimum", "maximum", "variance", "standard_deviation"]


def case_id(settings):
    return "-".join(f"{k}={v}" for k, v in settings.items()) or "raw"


def both(name, *args, imgs, fit_kwargs=None, **kwargs):
    """fit_transform with nilearn's masker and ours; return both outputs and maskers."""
    fit_kwargs = fit_kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(nl, name)(*args, **kwargs)
        expected = theirs.fit_transform(imgs, **fit_kwargs)
        ours = getattr(core, name)(*args, **kwargs)
        got = ours.fit_transform(imgs, **fit_kwargs)
    return got, expected, ours, theirs


def assert_close(got, expected, exact=False, atol_scale=1e-6):
    assert np.shape(got) == np.shape(expected)
    if exact:
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(
        got, expected, rtol=1e-5, atol=atol_scale * max(np.abs(expected).max(), 1.0)
    )


def maps_close(got, expected):
    """nilearn's fit is float32 lstsq: agree to float32 precision of the raw signal."""
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=3e-6 * 120)


@pytest.fixture
def bold_img(rng, affine):
    return make_bold(rng, affine)


@pytest.fixture(params=["file", "memory"])
def imgs(request, bold_file):
    """The same BOLD run as a path and as an in-memory nibabel image."""
    if request.param == "file":
        return str(bold_file)
    loaded = nib.load(bold_file)
    return nib.Nifti1Image(np.asanyarray(loaded.dataobj), loaded.affine, loaded.header)


@pytest.fixture
def maps_file(tmp_path, affine):
    path = tmp_path / "maps.nii.gz"
    nib.Nifti1Image(blobs((7, 8, 9), CENTRES, 1.6, 0.05), affine).to_filename(path)
    return path


# --- labels ----------------------------------------------------------------------
@pytest.mark.parametrize("settings", LABEL_CASES, ids=case_id)
def test_labels_masker_equals_nilearn(imgs, atlas_file, settings):
    got, expected, ours, theirs = both(
        "NiftiLabelsMasker", str(atlas_file), imgs=imgs, **settings
    )
    assert got.dtype == expected.dtype
    assert_close(got, expected, exact=not settings)
    assert ours.region_ids_ == theirs.region_ids_
    assert ours.region_names_ == theirs.region_names_
    assert ours.n_elements_ == theirs.n_elements_
    pd.testing.assert_frame_equal(ours.lut_, theirs.lut_)
    np.testing.assert_array_equal(
        ours.region_atlas_.get_fdata(), theirs.region_atlas_.get_fdata()
    )
    np.testing.assert_allclose(
        ours.inverse_transform(expected).get_fdata(),
        theirs.inverse_transform(expected).get_fdata(),
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_labels_strategies_with_mask_equal_nilearn(
    tmp_path, imgs, atlas_file, rng, affine, strategy
):
    mask = nib.Nifti1Image((rng.random((7, 8, 9)) > 0.3).astype(np.uint8), affine)
    got, expected, *_ = both(
        "NiftiLabelsMasker",
        str(atlas_file),
        mask_img=mask,
        strategy=strategy,
        imgs=imgs,
    )
    assert_close(got, expected, exact=True)


@pytest.mark.parametrize("keep", [False, True])
def test_region_emptied_by_mask_as_nilearn(imgs, atlas_file, affine, keep):
    labels = np.asanyarray(nib.load(atlas_file).dataobj)
    mask = nib.Nifti1Image((labels != 3).astype(np.uint8), affine)
    got, expected, ours, theirs = both(
        "NiftiLabelsMasker",
        str(atlas_file),
        mask_img=mask,
        keep_masked_labels=keep,
        detrend=True,
        imgs=imgs,
    )
    assert got.shape[1] == (5 if keep else 4)
    assert_close(got, expected)
    assert ours.region_ids_ == theirs.region_ids_


@pytest.mark.parametrize("target", ["data", "labels"])
def test_labels_on_another_grid_as_nilearn(tmp_path, rng, affine, imgs, target):
    fine = affine.copy()
    fine[:3, :3] = np.diag([2.0, 2.5, 3.0])
    fine[:3, 3] += [0.7, -1.1, 0.4]
    atlas = nib.Nifti1Image(rng.integers(0, 7, (10, 11, 12)).astype(np.int16), fine)
    got, expected, ours, theirs = both(
        "NiftiLabelsMasker",
        atlas,
        resampling_target=target,
        standardize="zscore_sample",
        imgs=imgs,
    )
    assert_close(got, expected)
    np.testing.assert_array_equal(
        ours.labels_img_.get_fdata(), theirs.labels_img_.get_fdata()
    )


def test_labels_list_lut_and_background_as_nilearn(tmp_path, imgs, affine, rng):
    data = rng.integers(1, 5, (7, 8, 9)).astype(np.int16)  # 1 is the background
    atlas = nib.Nifti1Image(data, affine)
    names = ["Background", "a", "b", "c"]
    got, expected, ours, theirs = both(
        "NiftiLabelsMasker", atlas, labels=names, background_label=1, imgs=imgs
    )
    assert_close(got, expected, exact=True)
    assert ours.region_names_ == theirs.region_names_ == {0: "a", 1: "b", 2: "c"}
    assert ours.get_feature_names_out() == ["a", "b", "c"]
    lut = pd.DataFrame({"index": [1, 2, 3, 4], "name": ["bg", "x", "y", "z"]})
    got, expected, ours, theirs = both(
        "NiftiLabelsMasker", atlas, lut=lut, background_label=1, imgs=imgs
    )
    assert_close(got, expected, exact=True)
    assert ours.region_names_ == theirs.region_names_


@pytest.mark.parametrize("dtype", [np.int16, np.float64])
def test_labels_other_image_dtypes_as_nilearn(tmp_path, rng, affine, atlas_file, dtype):
    img = make_bold(rng, affine, dtype=np.float64)
    img.header.set_data_dtype(dtype)  # int16: nibabel scales it (scl_slope)
    path = tmp_path / "bold.nii.gz"
    img.to_filename(path)
    got, expected, *_ = both("NiftiLabelsMasker", str(atlas_file), imgs=str(path))
    assert got.dtype == expected.dtype
    assert_close(got, expected, exact=True)
    if dtype == np.float64:  # nilearn's own "auto" fails on scaled int16 images
        got, expected, *_ = both(
            "NiftiLabelsMasker", str(atlas_file), dtype="auto", imgs=str(path)
        )
        assert got.dtype == expected.dtype == np.float32


def test_labels_confounds_sample_mask_and_high_variance(
    imgs, atlas_file, confounds_file
):
    table = pd.read_csv(confounds_file, sep="\t").fillna(0)
    columns = ["trans_x", "trans_y", "rot_z", "csf"]
    settings = {"detrend": True, "standardize": "zscore_sample"}
    for confounds in (
        table[columns].to_numpy(),
        table[columns],
        [table[columns[:2]].to_numpy(), table[columns[2:]]],
    ):
        got, expected, *_ = both(
            "NiftiLabelsMasker",
            str(atlas_file),
            imgs=imgs,
            fit_kwargs={"confounds": confounds, "sample_mask": np.arange(3, 40)},
            **settings,
        )
        assert got.shape == (37, 5)
        assert_close(got, expected)
    got, expected, *_ = both(
        "NiftiLabelsMasker",
        str(atlas_file),
        imgs=imgs,
        high_variance_confounds=True,
        **settings,
    )
    assert_close(got, expected)


def test_3d_image_gives_1d_signals_as_nilearn(bold_img, atlas_file, maps_file):
    volume = nib.Nifti1Image(bold_img.get_fdata()[..., 0], bold_img.affine)
    for name, roi in [
        ("NiftiLabelsMasker", atlas_file),
        ("NiftiMapsMasker", maps_file),
    ]:
        got, expected, *_ = both(name, str(roi), imgs=volume)
        assert got.shape == expected.shape == (5,)
        maps_close(got, expected)


def test_list_of_3d_images_as_nilearn(bold_img, atlas_file):
    volumes = [
        nib.Nifti1Image(bold_img.get_fdata()[..., t], bold_img.affine) for t in range(6)
    ]
    got, expected, *_ = both("NiftiLabelsMasker", str(atlas_file), imgs=volumes)
    assert got.shape == (6, 5)
    assert_close(got, expected, exact=True)


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_non_finite_values_count_as_zero_as_nilearn(
    tmp_path, rng, affine, atlas_file, kind
):
    img = make_bold(rng, affine)
    data = np.asanyarray(img.dataobj).copy()
    data[2, 3, 4, 5] = np.nan
    data[1, 1, 1, :] = np.inf
    img = nib.Nifti1Image(data, affine, img.header)
    if kind == "file":
        img.to_filename(tmp_path / "nan.nii.gz")
        img = str(tmp_path / "nan.nii.gz")
    got, expected, *_ = both("NiftiLabelsMasker", str(atlas_file), imgs=img)
    assert np.isfinite(got).all()
    assert_close(got, expected, exact=True)


# --- spheres ---------------------------------------------------------------------
@pytest.mark.parametrize("settings", SPHERE_CASES, ids=case_id)
def test_spheres_masker_equals_nilearn(imgs, settings):
    got, expected, ours, theirs = both(
        "NiftiSpheresMasker", SEEDS, imgs=imgs, **settings
    )
    assert got.dtype == expected.dtype
    assert_close(got, expected, exact=len(settings) == 1)
    assert ours.seeds_ == theirs.seeds_
    assert ours.n_elements_ == theirs.n_elements_ == 4
    assert ours.get_feature_names_out().tolist() == [
        f"niftispheresmasker{i}" for i in range(4)
    ]


@pytest.mark.parametrize("radius", [None, 4.0, 6.0])
def test_spheres_mask_and_inverse_transform_as_nilearn(imgs, rng, affine, radius):
    mask = (rng.random((7, 8, 9)) > 0.35).astype(np.uint8)
    seeds = SEEDS[:3]
    for seed in seeds:  # nilearn refuses empty spheres, so keep each seed's voxel
        mask[tuple(np.round(np.linalg.solve(affine, [*seed, 1.0])[:3]).astype(int))] = 1
    mask_img = nib.Nifti1Image(mask, affine)
    got, expected, ours, theirs = both(
        "NiftiSpheresMasker",
        seeds,
        radius=radius,
        mask_img=mask_img,
        allow_overlap=True,
        imgs=imgs,
    )
    assert_close(got, expected, exact=True)
    if radius is None:  # nilearn's inverse_transform finds no voxel without a radius
        return
    np.testing.assert_allclose(
        ours.inverse_transform(got).get_fdata(),
        theirs.inverse_transform(got).get_fdata(),
    )


def test_spheres_errors_as_nilearn(imgs):
    with pytest.raises(ValueError, match="Overlap detected"):
        core.NiftiSpheresMasker([SEEDS[0], SEEDS[0]], radius=5.0).fit_transform(imgs)
    with pytest.raises(ValueError, match="spheres are empty"):
        core.NiftiSpheresMasker([(500.0, 0.0, 0.0)]).fit_transform(imgs)


def test_integer_image_sphere_means_are_exact(tmp_path, rng, affine):
    data = rng.integers(-3000, 3000, (7, 8, 9, 12)).astype(np.int16)
    img = nib.Nifti1Image(data, affine)
    got = core.NiftiSpheresMasker(SEEDS[:3], radius=5.0).fit_transform(img)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truncated = nl.NiftiSpheresMasker(SEEDS[:3], radius=5.0).fit_transform(img)
    np.testing.assert_array_equal(np.trunc(got), truncated)  # nilearn truncates
    assert not np.array_equal(got, truncated)


# --- maps ------------------------------------------------------------------------
@pytest.mark.parametrize("settings", MAP_CASES, ids=case_id)
@pytest.mark.parametrize("maps_kind", ["file", "memory"])
def test_maps_masker_equals_nilearn(imgs, maps_file, settings, maps_kind):
    maps = str(maps_file) if maps_kind == "file" else nib.load(maps_file)
    got, expected, ours, theirs = both("NiftiMapsMasker", maps, imgs=imgs, **settings)
    assert got.dtype == expected.dtype
    maps_close(got, expected)
    assert ours.n_elements_ == theirs.n_elements_ == 5
    np.testing.assert_allclose(
        ours.inverse_transform(expected).get_fdata(),
        theirs.inverse_transform(expected).get_fdata(),
        rtol=1e-5,
        atol=1e-4,
    )


@pytest.mark.parametrize("keep", [False, True])
def test_maps_mask_as_nilearn(tmp_path, imgs, maps_file, affine, keep):
    mask = np.ones((7, 8, 9), np.uint8)
    mask[2:, :6, :] = 0  # removes all of map 2 and parts of others
    got, expected, *_ = both(
        "NiftiMapsMasker",
        str(maps_file),
        mask_img=nib.Nifti1Image(mask, affine),
        keep_masked_maps=keep,
        imgs=imgs,
    )
    assert got.shape[1] == (5 if keep else 4)
    maps_close(got, expected)


@pytest.mark.parametrize("target", ["data", "maps"])
def test_maps_on_another_grid_as_nilearn(tmp_path, imgs, target):
    affine = np.diag([2.5, 2.5, 2.5, 1.0])
    affine[:3, 3] = [-11.0, -15.0, -19.0]
    centres = [(3, 3, 4), (7, 4, 6), (4, 9, 10), (6, 8, 3)]
    maps = nib.Nifti1Image(blobs((10, 12, 15), centres, 2.0, 0.05), affine)
    got, expected, *_ = both(
        "NiftiMapsMasker", maps, resampling_target=target, imgs=imgs
    )
    maps_close(got, expected)


def test_maps_overlap_error_as_nilearn(imgs, maps_file):
    with pytest.raises(ValueError, match="Overlap detected"):
        core.NiftiMapsMasker(str(maps_file), allow_overlap=False).fit_transform(imgs)


# --- Multi maskers, Pipeline, set_output, reports ---------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "NiftiMasker",
        "NiftiLabelsMasker",
        "NiftiSpheresMasker",
        "NiftiMapsMasker",
        "MultiNiftiLabelsMasker",
        "MultiNiftiMapsMasker",
        "MultiNiftiMasker",
    ],
)
def test_constructor_signature_is_nilearns(name):
    import inspect

    ours = inspect.signature(getattr(core, name))
    assert str(ours) == str(inspect.signature(getattr(nl, name)))
    for method in ("fit", "fit_transform", "generate_report"):
        ours = inspect.signature(getattr(getattr(core, name), method))
        theirs = inspect.signature(getattr(getattr(nl, name), method))
        assert list(ours.parameters) == list(theirs.parameters), (name, method)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_multi_maskers_equal_nilearn(
    tmp_path, rng, affine, atlas_file, maps_file, n_jobs
):
    from joblib import parallel_backend

    with parallel_backend("threading"):  # the parallel path, without process start-up
        _check_multi_maskers(tmp_path, rng, affine, atlas_file, maps_file, n_jobs)


def _check_multi_maskers(tmp_path, rng, affine, atlas_file, maps_file, n_jobs):
    paths = []
    for i in range(2):
        path = tmp_path / f"run{i}.nii.gz"
        make_bold(rng, affine).to_filename(path)
        paths.append(str(path))
    confounds = [rng.normal(size=(40, 2)), None]
    settings = {"detrend": True, "standardize": "zscore_sample", "n_jobs": n_jobs}
    for name, roi in [
        ("MultiNiftiLabelsMasker", atlas_file),
        ("MultiNiftiMapsMasker", maps_file),
        ("MultiNiftiMasker", None),  # the mask computed from both images
    ]:
        args = () if roi is None else (str(roi),)
        got, expected, *_ = both(
            name, *args, imgs=paths, fit_kwargs={"confounds": confounds}, **settings
        )
        assert len(got) == len(expected) == 2
        for g, e in zip(got, expected, strict=True):
            maps_close(g, e)


def test_pipeline_and_set_output_as_nilearn(imgs, atlas_file):
    def pipeline(module):
        masker = module.NiftiLabelsMasker(str(atlas_file), detrend=True)
        return Pipeline([("masker", masker), ("scale", StandardScaler())])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pipeline(nl).fit_transform(imgs)
    got = pipeline(core).fit_transform(imgs)
    assert_close(got, expected)
    masker = core.NiftiLabelsMasker(str(atlas_file)).set_output(transform="pandas")
    frame = masker.fit_transform(imgs)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == masker.get_feature_names_out()


def test_generate_report_is_nilearns(imgs, atlas_file):
    pytest.importorskip("matplotlib")
    masker = core.NiftiLabelsMasker(str(atlas_file)).fit(imgs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = masker.generate_report()
    assert "NiftiLabelsMasker" in str(report)


def _nilearn_expected_failures(estimator):
    """The checks nilearn expects its own twin masker to fail."""
    return_expected_failed_checks = nilearn_expected_failures()
    return return_expected_failed_checks(getattr(nl, type(estimator).__name__)())


@parametrize_with_checks(
    [
        core.NiftiLabelsMasker(),
        core.NiftiSpheresMasker(),
        core.NiftiMapsMasker(),
        core.MultiNiftiLabelsMasker(),
        core.MultiNiftiMapsMasker(),
        core.MultiNiftiMasker(standardize=None),
    ],
    expected_failed_checks=_nilearn_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    """The checks nilearn's own twin masker passes (its expected failures skipped)."""
    name = getattr(check, "func", check).__name__
    if name in _nilearn_expected_failures(estimator):
        pytest.skip("nilearn expects its own masker to fail this check")
    check(estimator)


def test_labels_lut_from_the_atlas_alone_warns_and_equals_nilearn(affine):
    """Without lut or labels the table is made without nilearn: the same, warnings too."""
    data = np.full((7, 8, 9), 3, dtype=np.int16)  # one label, no background
    atlas = nib.Nifti1Image(data, affine)
    with pytest.warns(UserWarning, match="single label covering") as theirs:
        nilearn_masker = nl.NiftiLabelsMasker(atlas).fit()
    with pytest.warns(UserWarning, match="single label covering") as ours:
        masker = core.NiftiLabelsMasker(atlas).fit()
    assert [str(w.message) for w in ours if "label" in str(w.message)] == [
        str(w.message) for w in theirs if "label" in str(w.message)
    ]
    pd.testing.assert_frame_equal(masker.lut_, nilearn_masker.lut_)


@pytest.mark.parametrize(
    "dtype", [np.int16, np.int32, np.uint8, np.float32, np.float64, np.int64]
)
@pytest.mark.parametrize("background", [0, 1, 0.0, 2.5, 7])
@pytest.mark.parametrize("values", [[0, 1, 2, 3], [1, 2, 3], [0, 5], [2, 7, 9]])
def test_default_lut_equals_nilearns_table(affine, rng, dtype, background, values):
    """``default_lut`` against nilearn's steps (``label_lut``), dtypes included."""
    from niimasker_core.maskers.region_images import default_lut, label_lut

    data = rng.choice(np.array(values), (5, 6, 7)).astype(dtype)
    img = nib.Nifti1Image(data, affine, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = label_lut(img, background, None, None)
    pd.testing.assert_frame_equal(default_lut(data, background), expected)
