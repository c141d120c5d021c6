"""The drop-ins where nilearn's own tests found them apart (issue 20), each beside nilearn."""

import warnings

import nibabel as nib
import nilearn.maskers as nl
import numpy as np
import pytest

import niimasker_core.maskers as core

AFFINE = np.eye(4)


@pytest.fixture
def img():
    data = np.random.default_rng(0).random((7, 8, 9, 10)).astype("float32")
    return nib.Nifti1Image(data, AFFINE)


@pytest.fixture
def labels_img():
    labels = np.zeros((7, 8, 9), dtype="int16")
    labels[:3] = 1
    labels[3:5] = 2
    labels[5:] = 3
    return nib.Nifti1Image(labels, AFFINE)


def _both(name, **params):
    return getattr(core, name)(**params), getattr(nl, name)(**params)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


@pytest.mark.parametrize("name", ["NiftiMasker", "NiftiLabelsMasker"])
def test_high_variance_confounds_with_few_volumes(name, img, labels_img):
    extra = {"labels_img": labels_img} if name == "NiftiLabelsMasker" else {}
    ours, theirs = _both(name, high_variance_confounds=True, **extra)
    confounds = np.random.default_rng(1).random((10, 4))  # + 5 high-variance: 9
    got = _quiet(ours.fit_transform, img, confounds=confounds)
    want = _quiet(theirs.fit_transform, img, confounds=confounds)
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("name", ["NiftiMasker", "NiftiLabelsMasker"])
def test_sample_mask_alone_keeps_exact_values(name, img, labels_img):
    extra = {"labels_img": labels_img} if name == "NiftiLabelsMasker" else {}
    ours, theirs = _both(name, **extra)
    keep = np.array([0, 2, 3, 5, 7, 9])
    got = _quiet(ours.fit_transform, img, sample_mask=keep)
    want = _quiet(theirs.fit_transform, img, sample_mask=keep)
    np.testing.assert_array_equal(got, want)


def test_boolean_signals_are_cast_with_nilearns_warning(img, labels_img):
    masker = core.NiftiLabelsMasker(labels_img).fit(img)
    with pytest.warns(UserWarning, match="Casting boolean input to"):
        out = masker.inverse_transform(np.ones((2, 3), dtype=bool))
    assert out.shape == (7, 8, 9, 2)


def test_int64_signals_inverse_as_nilearn(img):
    ours = core.NiftiMasker().fit(img)
    signals = np.ones((2, ours.n_elements_), dtype=np.int64)
    with pytest.warns(UserWarning, match="converted to int32"):
        got = ours.inverse_transform(signals)
    want = _quiet(nl.NiftiMasker().fit(img).inverse_transform, signals)
    assert got.get_data_dtype() == want.get_data_dtype()
    np.testing.assert_array_equal(np.asanyarray(got.dataobj), want.get_fdata())


def test_maps_masker_refuses_dtype_bool(img):
    maps = nib.Nifti1Image(np.ones((7, 8, 9, 2), dtype="float32"), AFFINE)
    with pytest.raises(TypeError, match="'dtype' cannot be bool"):
        core.NiftiMapsMasker(maps, dtype=bool).fit(img)


def test_surface_and_empty_images_are_refused(img):
    from nilearn.conftest import _make_surface_img

    mask = nib.Nifti1Image(np.ones((7, 8, 9), dtype="int8"), AFFINE)
    for masker in (
        core.NiftiMasker(mask_img=mask),
        core.NiftiSpheresMasker([(1, 1, 1)], mask_img=mask),
    ):
        with pytest.raises(TypeError):
            masker.fit(_make_surface_img(2))
    empty = nib.Nifti1Image(np.zeros((64, 64, 0)), AFFINE)
    with pytest.raises(ValueError, match="The image is empty"):
        core.NiftiSpheresMasker([(1, 1, 1)]).fit(empty)


def test_multi_masker_template_strategies(img):
    imgs = [img, img]
    with pytest.warns(UserWarning, match="'template' is deprecated"):
        _quiet_but_deprecation = core.MultiNiftiMasker(mask_strategy="template")
        _quiet_but_deprecation.fit(imgs)
    masker = _quiet(core.MultiNiftiMasker(mask_strategy="wm-template").fit, imgs)
    want = _quiet(nl.MultiNiftiMasker(mask_strategy="wm-template").fit, imgs)
    np.testing.assert_array_equal(
        masker.mask_img_.get_fdata(), want.mask_img_.get_fdata()
    )


def test_verbose_says_what_nilearn_says(img, labels_img, capsys):
    ours, theirs = _both("NiftiLabelsMasker", labels_img=labels_img, verbose=1)
    _quiet(ours.fit_transform, img)
    got = [line.split("] ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    _quiet(theirs.fit_transform, img)
    want = [line.split("] ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert [w.split(" from ")[0] for w in got] == [w.split(" from ")[0] for w in want]


def test_non_finite_values_warn_as_nilearn(labels_img):
    data = np.random.default_rng(0).random((7, 8, 9, 4)).astype("float32")
    data[:, :, 7] = np.nan
    img = nib.Nifti1Image(data, AFFINE)
    with pytest.warns(UserWarning, match="Non-finite values detected"):
        core.NiftiLabelsMasker(labels_img).fit_transform(img)
    mask = np.ones((7, 8, 9))
    mask[0] = np.nan
    with pytest.warns(UserWarning, match="Non-finite values detected"):
        core.NiftiMasker(mask_img=nib.Nifti1Image(mask, AFFINE)).fit()


def test_boolean_standardize_future_warning(img, labels_img):
    masker = core.NiftiLabelsMasker(labels_img, standardize=False).fit(img)
    with pytest.warns(FutureWarning, match="boolean values for 'standardize'"):
        masker.transform(img)


def test_non_finite_values_in_a_file_warn_as_nilearn(tmp_path):
    data = np.random.default_rng(0).random((7, 8, 9, 4)).astype("float32")
    data[2, 2, 2, 1] = np.nan
    path = tmp_path / "bold.nii.gz"
    nib.save(nib.Nifti1Image(data, AFFINE), path)
    mask = nib.Nifti1Image(np.ones((7, 8, 9), dtype="int8"), AFFINE)
    with pytest.warns(UserWarning, match="Non-finite values detected"):
        got = core.NiftiMasker(mask_img=mask).fit_transform(str(path))
    want = _quiet(nl.NiftiMasker(mask_img=mask).fit_transform, str(path))
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("volumes", [None, 1])
@pytest.mark.parametrize("name", ["NiftiMasker", "MultiNiftiMasker"])
def test_shelving_returns_joblibs_result_as_nilearn(name, volumes, img, tmp_path):
    """nilearn's private ``_shelving``: transform gives results read by ``get()``.

    With a cache only: nilearn's shelving fails without one. ``volumes=1``:
    a 3D image, whose row nilearn shelves as a 1D array.
    """
    if volumes == 1:
        img = nib.Nifti1Image(img.get_fdata()[..., 0], AFFINE)
    got = {}
    for masker in _both(name, memory=str(tmp_path / f"{name}{volumes}")):
        masker._shelving = True
        imgs = [img, img] if name.startswith("Multi") else img
        out = _quiet(masker.fit_transform, imgs)
        results = out if isinstance(out, list) else [out]
        assert not any(isinstance(r, np.ndarray) for r in results)
        got[type(masker).__module__.split(".")[0]] = [r.get() for r in results]
    for ours, theirs in zip(got["niimasker_core"], got["nilearn"], strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_class_tree_is_nilearns():
    """Each drop-in is a subclass of another exactly where nilearn's classes are.

    tests/nilearn_suite/conftest.py lets nilearn's checks ask ``isinstance`` of
    the drop-ins under nilearn's names; this makes each answer nilearn's own.
    """
    from nilearn.maskers._mixin import _MultiMixin

    from niimasker_core.maskers.multi import MultiTransform

    for a in core.__all__:
        theirs_multi = issubclass(getattr(nl, a), _MultiMixin)
        assert issubclass(getattr(core, a), MultiTransform) == theirs_multi, a
        for b in core.__all__:
            want = issubclass(getattr(nl, a), getattr(nl, b))
            assert issubclass(getattr(core, a), getattr(core, b)) == want, (a, b)
