"""The public API: what ``__all__`` promises exists, and one name per parameter."""

from __future__ import annotations

import importlib
import inspect

import pytest

import niimasker_core
from niimasker_core import errors
from niimasker_core.settings import PARAMETERS

MODULES = [
    "niimasker_core",
    "niimasker_core.api",
    "niimasker_core.cli",
    "niimasker_core.engine",
    "niimasker_core.errors",
    "niimasker_core.outputs",
    "niimasker_core.settings",
    "niimasker_core.volumes",
    "niimasker_core.maskers",
    "niimasker_core.maskers.base",
    "niimasker_core.maskers.clean_operator",
    "niimasker_core.maskers.nifti_masker",
    "niimasker_core.maskers.regions",
    "niimasker_core.maskers.labels_masker",
    "niimasker_core.maskers.spheres_masker",
    "niimasker_core.maskers.maps_masker",
    "niimasker_core.maskers.multi",
]


def test_package_exports():
    assert sorted(niimasker_core.__all__) == sorted(
        [
            "MultiNiftiLabelsMasker",
            "MultiNiftiMapsMasker",
            "MultiNiftiMasker",
            "NiftiLabelsMasker",
            "NiftiMapsMasker",
            "NiftiMasker",
            "NiftiSpheresMasker",
            "NiimaskerError",
            "__version__",
            "extract_timeseries",
            "nilearn_atlas",
        ]
    )
    assert isinstance(niimasker_core.__version__, str)


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_are_documented(name):
    module = importlib.import_module(name)
    assert module.__doc__
    for attr in module.__all__:
        obj = getattr(module, attr)  # AttributeError if __all__ lies
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, f"{name}.{attr} has no docstring"


def test_every_error_class_is_public_and_a_niimasker_error():
    defined = {
        n
        for n, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, Exception)
        and obj.__module__ == errors.__name__
    }
    assert defined == set(errors.__all__)
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.NiimaskerError)
        assert cls.__doc__
        if cls is not errors.NiimaskerError:
            assert len(cls.__mro__) > 3  # also a built-in (ValueError, OSError...)


def test_extract_timeseries_takes_every_parameter_by_its_name():
    signature = inspect.signature(niimasker_core.extract_timeseries)
    for param in PARAMETERS:
        assert param.name in signature.parameters, param.name
        default = signature.parameters[param.name].default
        assert default == param.default or default is None, (
            param.name
        )  # None: not given
