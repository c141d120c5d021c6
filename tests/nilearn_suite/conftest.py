"""nilearn 0.14.1's volume-masker tests, run against niimasker's drop-ins.

scripts/run_nilearn_suite.py copies nilearn's own test files from the
installed wheel next to this file, with ``from nilearn.maskers import``
changed to ``from niimasker_core.maskers import`` and nothing else.
nilearn's conftest files give the fixtures. Each test listed in
expected_failures.txt (beside this file in the repository) is marked
xfail(strict=True), so one that starts passing is reported as a failure.
"""

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["nilearn.conftest", "nilearn.maskers.tests.conftest"]

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
