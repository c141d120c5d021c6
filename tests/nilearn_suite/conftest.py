"""nilearn 0.14.1's masker tests, run against niimasker's drop-ins.

scripts/run_nilearn_suite.py copies nilearn's own test files from the
installed wheel next to this file, with ``from nilearn.maskers import``
changed to ``from niimasker_core.maskers import`` and nothing else.
nilearn's conftest files give the fixtures. Each test listed in the
group's <group>_expected_failures.txt (beside this file in the repository)
is marked xfail(strict=True), so one that starts passing is reported as a
failure.

The same masker-import swap is applied to nilearn's check module,
``nilearn._utils.estimator_checks``, which imports nilearn's maskers
(``from nilearn.maskers import (...)``, ``from nilearn.maskers._mixin import
_MultiMixin``) and branches on ``isinstance`` of them: which checks a masker
gets, which messages, inputs and warnings each check expects. Each of those
module names (the eight maskers and ``_MultiMixin``) is replaced, before the
test files are collected, by a :class:`NilearnName` that answers
``isinstance`` for niimasker's class of the same name as well as for
nilearn's (``_MultiMixin``: niimasker's ``MultiTransform``, the base of its
six ``Multi*`` drop-ins), so the drop-ins take exactly the branches nilearn's
own classes take. Calling the name still builds nilearn's class, so where a
check builds a masker as a reference or an input (``NiftiMasker(...)`` in
``check_warning_embedded_masker``, ``SurfaceMasker()`` in
``check_decoder_with_surface_data``: checks of decoders, GLMs and
decompositions, never run on maskers) it stays
nilearn's and nothing is compared with itself.
``test_class_tree_is_nilearns`` (tests/python/maskers/test_nilearn_gaps.py)
checks that the drop-ins' class tree is nilearn's, so each ``isinstance``
answer a drop-in gets is the one nilearn's class of its name gets.
"""

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["nilearn.conftest", "nilearn.maskers.tests.conftest"]


class NilearnName:
    """One masker name in nilearn's check module, covering our drop-in too.

    ``isinstance(x, name)`` is true for instances of nilearn's class and of
    niimasker's class of the same name; ``name(...)`` builds nilearn's class.

    Parameters
    ----------
    nilearn_class : type
        The class nilearn's check module imported under this name.
    ours : type
        niimasker's class that stands for it.
    """

    def __init__(self, nilearn_class: type, ours: type) -> None:
        self.nilearn_class = nilearn_class
        self.ours = ours
        self.__name__ = nilearn_class.__name__

    def __instancecheck__(self, obj) -> bool:
        return isinstance(obj, (self.nilearn_class, self.ours))

    def __subclasscheck__(self, cls) -> bool:
        return issubclass(cls, (self.nilearn_class, self.ours))

    def __call__(self, *args, **kwargs):
        return self.nilearn_class(*args, **kwargs)

    def __repr__(self) -> str:
        return f"NilearnName({self.nilearn_class.__name__})"


SWAPPED = (
    "MultiNiftiMapsMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "SurfaceMasker",
)


def swap_check_module_names() -> None:
    """Point nilearn's check module's masker names at :class:`NilearnName`."""
    import nilearn._utils.estimator_checks as checks
    import nilearn.maskers

    import niimasker_core.maskers as ours
    from niimasker_core.maskers.multi import MultiTransform

    for name in SWAPPED:
        nilearn_class = getattr(nilearn.maskers, name)
        if getattr(checks, name) is not nilearn_class:
            raise RuntimeError(f"nilearn's check module has no {name} of its own")
        setattr(checks, name, NilearnName(nilearn_class, getattr(ours, name)))
    from nilearn.maskers._mixin import _MultiMixin

    if checks._MultiMixin is not _MultiMixin:
        raise RuntimeError("nilearn's check module has no _MultiMixin of its own")
    checks._MultiMixin = NilearnName(_MultiMixin, MultiTransform)


swap_check_module_names()

EXPECTED = Path(os.environ["NIIMASKER_NILEARN_EXPECTED"])
SUMMARY = Path(os.environ["NIIMASKER_NILEARN_SUMMARY"])
OURS = "niimasker expected failure: "


def _expected() -> dict[str, str]:
    out = {}
    for line in EXPECTED.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition("  # ")
        out[test_id.strip()] = reason.strip()
    return out


def pytest_collection_modifyitems(config, items):
    expected = _expected()
    seen = set()
    for item in items:
        reason = expected.get(item.nodeid)
        if reason is not None:
            seen.add(item.nodeid)
            item.add_marker(pytest.mark.xfail(reason=OURS + reason, strict=True))
    stale = sorted(set(expected) - seen)
    if stale:
        raise pytest.UsageError(
            "expected_failures.txt lists tests nilearn's files do not have: "
            + ", ".join(stale)
        )


def pytest_runtest_logreport(report):
    counts = getattr(pytest_runtest_logreport, "counts", None)
    if counts is None:
        return
    if report.when != "call" and not (report.failed or report.skipped):
        return
    if hasattr(report, "wasxfail"):
        if report.skipped:
            ours = report.wasxfail.startswith(OURS)
            counts["expected" if ours else "nilearn_xfail"] += 1
        elif report.passed:
            counts["xpassed"] += 1
        else:
            counts["failed"] += 1
    elif report.failed:
        counts["failed"] += 1
    elif report.skipped:
        counts["skipped"] += 1
    elif report.passed:
        counts["passed"] += 1


def pytest_sessionstart(session):
    pytest_runtest_logreport.counts = {
        "passed": 0,
        "failed": 0,
        "expected": 0,
        "nilearn_xfail": 0,
        "xpassed": 0,
        "skipped": 0,
    }


def pytest_sessionfinish(session, exitstatus):
    SUMMARY.write_text(json.dumps(pytest_runtest_logreport.counts))
