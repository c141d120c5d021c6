"""The surface drop-ins beside nilearn 0.14's surface maskers, on the same inputs.

A small two-part mesh (a few hundred vertices, sizes that differ so that a
left/right mix-up fails), 40 samples; each of our maskers and nilearn's is
fitted and applied with the same arguments. Raw values are compared exactly,
cleaned ones to 1e-6.
"""

from __future__ import annotations

import inspect
import pickle
import warnings
from copy import deepcopy

import nilearn.maskers as nl
import numpy as np
import pandas as pd
import pytest
from nilearn.surface import InMemoryMesh, PolyMesh, SurfaceImage

import niimasker_core as core

N_LEFT, N_RIGHT, N_SAMPLES = 310, 270, 40
NAMES = [
    "SurfaceMasker",
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "MultiSurfaceMasker",
    "MultiSurfaceLabelsMasker",
    "MultiSurfaceMapsMasker",
]


def _part_mesh(n: int, rng) -> InMemoryMesh:
    coordinates = rng.normal(size=(n, 3))
    faces = np.stack([np.arange(n - 2), np.arange(1, n - 1), np.arange(2, n)], axis=1)
    return InMemoryMesh(coordinates, faces)


@pytest.fixture(scope="module")
def mesh() -> PolyMesh:
    rng = np.random.default_rng(0)
    return PolyMesh(left=_part_mesh(N_LEFT, rng), right=_part_mesh(N_RIGHT, rng))


def _image(mesh, seed=1, n_samples=N_SAMPLES, dtype=np.float32) -> SurfaceImage:
    rng = np.random.default_rng(seed)
    trend = np.linspace(0, 3, n_samples)
    data = {
        part: (100 + rng.normal(size=(n, n_samples)) * 5 + trend).astype(dtype)
        for part, n in (("left", N_LEFT), ("right", N_RIGHT))
    }
    return SurfaceImage(mesh, data)


@pytest.fixture(scope="module")
def img(mesh) -> SurfaceImage:
    return _image(mesh)


@pytest.fixture(scope="module")
def labels_img(mesh) -> SurfaceImage:
    rng = np.random.default_rng(2)
    # 0 is background; 3 spans both parts; 7 only on the right
    left = rng.choice([0, 1, 2, 3], size=N_LEFT)
    right = rng.choice([0, 3, 5, 7], size=N_RIGHT)
    return SurfaceImage(mesh, {"left": left, "right": right})


@pytest.fixture(scope="module")
def maps_img(mesh) -> SurfaceImage:
    rng = np.random.default_rng(3)
    data = {}
    for part, n in (("left", N_LEFT), ("right", N_RIGHT)):
        maps = rng.random((n, 4))
        maps[maps < 0.5] = 0
        data[part] = maps
    return SurfaceImage(mesh, data)


@pytest.fixture(scope="module")
def mask_img(mesh) -> SurfaceImage:
    rng = np.random.default_rng(4)
    return SurfaceImage(
        mesh,
        {
            "left": rng.random(N_LEFT) > 0.3,
            "right": rng.random(N_RIGHT) > 0.3,
        },
    )


def both(name, *, imgs, transform=None, **kwargs):
    """Fit and transform with nilearn's masker and ours; return outputs and maskers.

    Each gets its own copy of the images: nilearn reshapes a 1D image in place.
    """
    transform = transform or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(nl, name)(**kwargs).fit(deepcopy(imgs))
        expected = theirs.transform(deepcopy(imgs), **transform)
        ours = getattr(core, name)(**kwargs).fit(deepcopy(imgs))
        got = ours.transform(deepcopy(imgs), **transform)
    return got, expected, ours, theirs


def assert_close(got, expected, exact=False):
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_close(g, e, exact)
        return
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        scale = max(float(np.abs(expected).max()), 1.0)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6 * scale)


def assert_same_image(got, expected, exact=True):
    assert isinstance(got, SurfaceImage)
    assert got.shape == expected.shape
    for part, values in expected.data.parts.items():
        assert got.data.parts[part].dtype == values.dtype
        if exact:
            np.testing.assert_array_equal(got.data.parts[part], values)
        else:
            np.testing.assert_allclose(got.data.parts[part], values, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_nilearns(name):
    ours = inspect.signature(getattr(core, name))
    theirs = inspect.signature(getattr(nl, name))
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]


# -- SurfaceMasker ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_mask", [False, True])
def test_surface_masker_raw_values_exact(mesh, mask_img, dtype, with_mask):
    img = _image(mesh, dtype=dtype)
    mask = mask_img if with_mask else None
    got, expected, ours, theirs = both(
        "SurfaceMasker", imgs=img, mask_img=mask, standardize=None
    )
    assert_close(got, expected, exact=True)
    assert ours.n_elements_ == theirs.n_elements_
    for part in mesh.parts:
        np.testing.assert_array_equal(
            ours.mask_img_.data.parts[part], theirs.mask_img_.data.parts[part]
        )
    assert_same_image(ours.inverse_transform(got), theirs.inverse_transform(expected))


CLEANING = [
    {"detrend": True},
    {"standardize": "zscore_sample"},
    {"standardize": "psc"},
    {"high_pass": 0.01, "low_pass": 0.1, "t_r": 2.0},
    {"high_variance_confounds": True},
    {"detrend": True, "standardize": "zscore_sample", "t_r": 2.0, "low_pass": 0.2},
]


@pytest.mark.parametrize("cleaning", CLEANING, ids=str)
@pytest.mark.parametrize("name", ["SurfaceMasker", "SurfaceLabelsMasker"])
def test_cleaning_as_nilearn(img, labels_img, name, cleaning):
    atlas = {"labels_img": labels_img} if "Labels" in name else {}
    got, expected, _, _ = both(name, imgs=img, **atlas, **cleaning)
    assert_close(got, expected)


def test_confounds_and_sample_mask_as_nilearn(img, labels_img):
    rng = np.random.default_rng(5)
    confounds = pd.DataFrame(rng.normal(size=(N_SAMPLES, 3)), columns=list("abc"))
    sample_mask = np.r_[0:10, 14:N_SAMPLES]
    transform = {"confounds": confounds, "sample_mask": sample_mask}
    for name, atlas in (
        ("SurfaceMasker", {}),
        ("SurfaceLabelsMasker", {"labels_img": labels_img}),
    ):
        got, expected, _, _ = both(
            name, imgs=img, transform=transform, detrend=True, **atlas
        )
        assert got.shape == (N_SAMPLES - 4, expected.shape[1])
        assert_close(got, expected)


def test_smoothing_as_nilearn(img, labels_img):
    got, expected, _, _ = both(
        "SurfaceLabelsMasker", imgs=img, labels_img=labels_img, smoothing_fwhm=3.0
    )
    assert_close(got, expected)


def test_one_sample_image_gives_1d(mesh, labels_img):
    img = _image(mesh, n_samples=1)
    one = SurfaceImage(mesh, {k: v[:, 0] for k, v in img.data.parts.items()})
    for name, kwargs in (
        ("SurfaceMasker", {}),
        ("SurfaceLabelsMasker", {"labels_img": labels_img}),
    ):
        got, expected, ours, theirs = both(name, imgs=one, **kwargs)
        assert got.ndim == 1
        assert_close(got, expected, exact=True)
        assert_same_image(
            ours.inverse_transform(got), theirs.inverse_transform(expected)
        )


# -- SurfaceLabelsMasker ---------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_labels_means_exact(mesh, labels_img, dtype):
    img = _image(mesh, dtype=dtype)
    got, expected, ours, theirs = both(
        "SurfaceLabelsMasker", imgs=img, labels_img=labels_img, standardize=None
    )
    assert_close(got, expected, exact=True)
    assert ours.n_elements_ == theirs.n_elements_ == 5
    assert ours.region_names_ == theirs.region_names_
    assert ours.region_ids_ == theirs.region_ids_
    assert ours.labels_ == theirs.labels_
    pd.testing.assert_frame_equal(ours.lut_, theirs.lut_)
    assert ours.get_feature_names_out() == list(theirs.get_feature_names_out())
    assert_same_image(ours.inverse_transform(got), theirs.inverse_transform(expected))


@pytest.mark.parametrize(
    "strategy",
    ["median", "sum", "minimum", "maximum", "variance", "standard_deviation"],
)
def test_labels_strategies(img, labels_img, strategy):
    got, expected, _, _ = both(
        "SurfaceLabelsMasker",
        imgs=img,
        labels_img=labels_img,
        strategy=strategy,
        standardize=None,
    )
    assert_close(got, expected)


def test_labels_names_lut_and_mask(img, labels_img, mesh):
    names = ["Background", "one", "two", "three", "five", "seven"]
    got, expected, ours, theirs = both(
        "SurfaceLabelsMasker", imgs=img, labels_img=labels_img, labels=names
    )
    assert_close(got, expected, exact=True)
    assert ours.region_names_ == theirs.region_names_
    # a mask removing label 7 everywhere: nilearn's warning and fewer columns
    right = np.asarray(labels_img.data.parts["right"]) != 7
    mask = SurfaceImage(mesh, {"left": np.ones(N_LEFT, bool), "right": right})
    with pytest.warns(UserWarning, match="following labels were removed"):
        ours = core.SurfaceLabelsMasker(labels_img=labels_img, mask_img=mask).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nl.SurfaceLabelsMasker(labels_img=labels_img, mask_img=mask).fit()
        assert_close(ours.transform(img), theirs.transform(img), exact=True)
    assert ours.n_elements_ == theirs.n_elements_ == 4
    assert ours.region_ids_ == theirs.region_ids_


# -- SurfaceMapsMasker -----------------------------------------------------------


@pytest.mark.parametrize("with_mask", [False, True])
def test_maps_as_nilearn(img, maps_img, mask_img, with_mask):
    mask = mask_img if with_mask else None
    got, expected, ours, theirs = both(
        "SurfaceMapsMasker",
        imgs=img,
        maps_img=maps_img,
        mask_img=mask,
        standardize=None,
    )
    assert_close(got, expected)
    assert ours.n_elements_ == theirs.n_elements_ == 4
    back = ours.inverse_transform(got)
    assert back.shape == (N_LEFT + N_RIGHT, N_SAMPLES)
    if not with_mask:  # nilearn indexes with the mask as given, not binarised
        assert_same_image(back, theirs.inverse_transform(expected), exact=False)


def test_maps_cleaned_as_nilearn(img, maps_img):
    got, expected, _, _ = both(
        "SurfaceMapsMasker",
        imgs=img,
        maps_img=maps_img,
        detrend=True,
        standardize="psc",
    )
    assert_close(got, expected)


def test_maps_overlap_refused(img, maps_img):
    for masker in (core.SurfaceMapsMasker, nl.SurfaceMapsMasker):
        dense = SurfaceImage(
            maps_img.mesh, {k: v + 1.0 for k, v in maps_img.data.parts.items()}
        )
        fitted = masker(maps_img=dense, allow_overlap=False).fit(img)
        with pytest.raises(ValueError, match="Overlap detected"):
            fitted.transform(img)


# -- set_output, Multi, pickling --------------------------------------------------


@pytest.mark.parametrize("output", ["pandas", "polars"])
@pytest.mark.parametrize(
    "name", ["SurfaceMasker", "SurfaceLabelsMasker", "SurfaceMapsMasker"]
)
def test_set_output_frames(img, labels_img, maps_img, name, output):
    kwargs = {
        "SurfaceMasker": {},
        "SurfaceLabelsMasker": {"labels_img": labels_img},
        "SurfaceMapsMasker": {"maps_img": maps_img},
    }[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(core, name)(standardize=None, **kwargs).set_output(
            transform=output
        )
        theirs = getattr(nl, name)(standardize=None, **kwargs).set_output(
            transform=output
        )
        got, expected = ours.fit_transform(img), theirs.fit_transform(img)
    assert type(got) is type(expected)
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)
    back = ours.inverse_transform(got)
    assert back.shape == (N_LEFT + N_RIGHT, N_SAMPLES)


def test_multi_maskers_on_lists(mesh, labels_img, maps_img):
    imgs = [_image(mesh, seed=s, n_samples=n) for s, n in ((1, 30), (2, 25))]
    rng = np.random.default_rng(6)
    confounds = [rng.normal(size=(30, 2)), rng.normal(size=(25, 2))]
    for name, kwargs in (
        ("MultiSurfaceMasker", {}),
        ("MultiSurfaceLabelsMasker", {"labels_img": labels_img}),
        ("MultiSurfaceMapsMasker", {"maps_img": maps_img}),
    ):
        got, expected, _, _ = both(
            name,
            imgs=imgs,
            transform={"confounds": confounds},
            detrend=True,
            **kwargs,
        )
        assert [g.shape[0] for g in got] == [30, 25]
        assert_close(got, expected)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = getattr(core, name)(n_jobs=2, standardize=None, **kwargs)
            theirs = getattr(nl, name)(standardize=None, **kwargs)
            assert_close(
                ours.fit_transform(imgs),
                theirs.fit_transform(imgs),
                exact="Maps" not in name,
            )


def test_pickled_masker_transforms_alike(img, labels_img, maps_img):
    for masker in (
        core.SurfaceLabelsMasker(labels_img=labels_img, standardize=None),
        core.SurfaceMapsMasker(maps_img=maps_img, standardize=None),
    ):
        masker.fit(img)
        before = masker.transform(img)
        again = pickle.loads(pickle.dumps(masker))
        np.testing.assert_array_equal(again.transform(img), before)


# -- errors and warnings -----------------------------------------------------------


def _both_raise(error, match, make, action):
    for module in (core, nl):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error, match=match):
                action(make(module))


def test_errors_as_nilearn(img, labels_img):
    _both_raise(
        TypeError,
        "should be a SurfaceImage",
        lambda m: m.SurfaceMasker(),
        lambda masker: masker.fit(np.zeros((3, 4))),
    )
    _both_raise(
        ValueError,
        "must be provided",
        lambda m: m.SurfaceMasker(),
        lambda masker: masker.fit(),
    )
    _both_raise(
        ValueError,
        "provide a labels_img",
        lambda m: m.SurfaceLabelsMasker(),
        lambda masker: masker.fit(img),
    )
    _both_raise(
        ValueError,
        "provide a maps_img",
        lambda m: m.SurfaceMapsMasker(),
        lambda masker: masker.fit(img),
    )
    _both_raise(
        TypeError,
        "cannot be bool",
        lambda m: m.SurfaceLabelsMasker(labels_img=labels_img, dtype=bool),
        lambda masker: masker.fit(img),
    )
    _both_raise(
        ValueError,
        "not both",
        lambda m: m.SurfaceLabelsMasker(
            labels_img=labels_img, labels=["a"], lut=pd.DataFrame()
        ),
        lambda masker: masker.fit(img),
    )
    _both_raise(
        ValueError,
        "wrong shape",
        lambda m: m.SurfaceLabelsMasker(labels_img=labels_img).fit(img),
        lambda masker: masker.inverse_transform(np.zeros((3, 2))),
    )


def test_other_mesh_refused_as_nilearn(labels_img, img):
    rng = np.random.default_rng(9)
    other = PolyMesh(left=_part_mesh(N_LEFT + 1, rng), right=_part_mesh(N_RIGHT, rng))
    data = {"left": np.ones((N_LEFT + 1, 3)), "right": np.ones((N_RIGHT, 3))}
    wrong = SurfaceImage(other, data)
    errors = []
    for module in (core, nl):
        masker = module.SurfaceLabelsMasker(labels_img=labels_img).fit(img)
        with pytest.raises(Exception) as raised:  # noqa: PT011 - nilearn's class below
            masker.transform(wrong)
        errors.append(type(raised.value))
    assert errors[0] is errors[1]


def test_warnings_as_nilearn(img, mask_img):
    for module in (core, nl):
        with pytest.warns(FutureWarning, match="boolean values for 'standardize'"):
            module.SurfaceMasker().fit_transform(img)
        with pytest.warns(RuntimeWarning, match="Generation of a mask"):
            module.SurfaceMasker(mask_img=mask_img).fit(img)


def test_nilearn_stays_optional_for_the_core():
    import subprocess
    import sys

    code = (
        "import sys; import niimasker_core, niimasker_core.maskers; "
        "print('nilearn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_readme_example_runs():
    """The guide's surface drop-in example runs as written and gives nilearn's table."""
    from pathlib import Path

    page = Path(__file__).parents[3] / "docs" / "python" / "guide" / "surfaces.md"
    text = page.read_text()
    start = text.index("nilearn users can keep their `SurfaceImage` code")
    start = text.index("```{testcode}\n", start) + len("```{testcode}\n")
    code = text[start : text.index("```", start)]
    namespace: dict = {}
    exec(compile(code, str(page), "exec"), namespace)  # noqa: S102
    table, masker = namespace["table"], namespace["masker"]
    assert table.shape == (100, 14)
    assert isinstance(namespace["back"], SurfaceImage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = nl.SurfaceLabelsMasker(
            namespace["labels"], standardize="zscore_sample", detrend=True
        ).fit_transform(namespace["img"])
    assert list(table.columns) == masker.get_feature_names_out()
    np.testing.assert_allclose(table.to_numpy(), theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["SurfaceMasker", "SurfaceLabelsMasker", "SurfaceMapsMasker"]
)
def test_high_variance_confounds_with_few_samples_as_nilearn(
    mesh, labels_img, maps_img, name
):
    # 10 samples, 9 confounds (5 high-variance + 4 given): nilearn fits them
    # exactly (least squares), as nilearn's estimator check does
    img = _image(mesh, n_samples=10)
    atlas = {
        "SurfaceLabelsMasker": {"labels_img": labels_img},
        "SurfaceMapsMasker": {"maps_img": maps_img},
    }.get(name, {})
    confounds = np.random.default_rng(6).normal(size=(10, 4))
    got, expected, _, _ = both(
        name,
        imgs=img,
        transform={"confounds": confounds},
        high_variance_confounds=True,
        **atlas,
    )
    assert_close(got, expected)


@pytest.mark.parametrize(
    ("name", "reports"),
    [
        ("SurfaceMasker", True),
        ("SurfaceMasker", False),
        ("SurfaceLabelsMasker", True),
        ("SurfaceLabelsMasker", False),
        # nilearn 0.14.1's SurfaceMapsMasker(reports=False).transform raises
        # AttributeError (its _reporting_data is never set): nothing to compare
        ("SurfaceMapsMasker", True),
    ],
)
def test_report_state_is_nilearns(img, labels_img, maps_img, name, reports):
    # nilearn's report state (read by its estimator checks) is that of
    # nilearn's masker fitted alike; a maps masker's report shows the last
    # transformed image
    atlas = {
        "SurfaceLabelsMasker": {"labels_img": labels_img},
        "SurfaceMapsMasker": {"maps_img": maps_img},
    }.get(name, {})
    _, _, ours, theirs = both(name, imgs=img, reports=reports, **atlas)
    assert ours._has_report_data() is theirs._has_report_data() is reports
    assert ours._report_content.keys() == theirs._report_content.keys()
    assert hasattr(ours, "_reporting_data") is hasattr(theirs, "_reporting_data")
    if reports and name == "SurfaceMapsMasker":
        assert ours._reporting_data["images"] is not None
        assert ours._reporting_data["images"].shape == img.shape
