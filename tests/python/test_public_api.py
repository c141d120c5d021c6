"""The public API: what ``__all__`` promises exists, and one name per parameter."""

from __future__ import annotations

import importlib
import inspect

import pytest

import niimasker_core
from niimasker_core import errors
from niimasker_core.params.declarations import PARAMETERS

MODULES = [
    "niimasker_core",
    "niimasker_core.faces.api",
    "niimasker_core.faces.cli",
    "niimasker_core.engine",
    "niimasker_core.errors",
    "niimasker_core.io.writers",
    "niimasker_core.faces.r_bridge",
    "niimasker_core.batch.results",
    "niimasker_core.params.settings",
    "niimasker_core.domains.volume.nifti",
    "niimasker_core.maskers",
    "niimasker_core.maskers.base",
    "niimasker_core.signal.operator",
    "niimasker_core.maskers.nifti_masker",
    "niimasker_core.maskers.regions",
    "niimasker_core.maskers.labels_masker",
    "niimasker_core.maskers.spheres_masker",
    "niimasker_core.maskers.maps_masker",
    "niimasker_core.maskers.multi",
    "niimasker_core.maskers.surface_base",
    "niimasker_core.maskers.surface_masker",
    "niimasker_core.maskers.surface_labels_masker",
    "niimasker_core.maskers.surface_maps_masker",
    "niimasker_core.maskers.multi_surface",
]


def test_package_exports():
    assert sorted(niimasker_core.__all__) == sorted(
        [
            "ExtractionFailure",
            "ExtractionResult",
            "ImageTimeseries",
            "MultiNiftiLabelsMasker",
            "MultiNiftiMapsMasker",
            "MultiNiftiMasker",
            "NiftiLabelsMasker",
            "NiftiMapsMasker",
            "NiftiMasker",
            "NiftiSpheresMasker",
            "NiimaskerError",
            "MultiSurfaceLabelsMasker",
            "MultiSurfaceMapsMasker",
            "MultiSurfaceMasker",
            "SurfaceLabelsMasker",
            "SurfaceMapsMasker",
            "SurfaceMasker",
            "__version__",
            "extract_timeseries",
            "nilearn_atlas",
            "read_timeseries",
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
    assert defined == set(errors.__all__) - {"Worded"}
    for name in defined:
        cls = getattr(errors, name)
        assert issubclass(cls, (errors.NiimaskerError, errors.NiimaskerWarning))
        assert issubclass(cls, errors.Worded)
        assert cls.__doc__
        if cls not in (errors.NiimaskerError, errors.NiimaskerWarning):
            assert len(cls.__mro__) > 3  # also a built-in (ValueError, OSError...)


def test_extract_timeseries_takes_every_parameter_by_its_name():
    signature = inspect.signature(niimasker_core.extract_timeseries)
    for param in PARAMETERS:
        assert param.name in signature.parameters, param.name
        default = signature.parameters[param.name].default
        assert default == param.default or default is None, (
            param.name
        )  # None: not given


def _every_module() -> list[str]:
    import pkgutil

    root = niimasker_core.__path__
    return ["niimasker_core"] + [
        m.name for m in pkgutil.walk_packages(root, "niimasker_core.")
    ]


@pytest.mark.parametrize("name", _every_module())
def test_all_lists_exactly_the_public_names(name):
    """Each module's ``__all__`` is exactly what it defines without a leading ``_``.

    A package may re-export names from its modules. The module logger ``log``
    is neither public nor private API.
    """
    import ast
    from pathlib import Path

    module = importlib.import_module(name)
    tree = ast.parse(Path(module.__file__).read_text())
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {n for n in defined if not n.startswith("_")} - {"log"}
    declared = set(module.__all__)
    assert public <= declared, f"public but not in __all__: {public - declared}"
    if not hasattr(module, "__path__"):  # a module, not a package
        assert declared <= public | {"__version__"}, declared - public
    for attr in declared:
        getattr(module, attr)
