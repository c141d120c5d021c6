"""Run nilearn 0.14.1's masker tests against niimasker's drop-ins.

Two groups, each nilearn's own test files for one kind of masker: ``volume``
(the seven Nifti masker files) and ``surface`` (the six Surface masker files).
The files come from the installed nilearn wheel at test time (they are not
committed): each group's files are copied into a fresh folder under build/
with ``from nilearn.maskers import`` changed to ``from niimasker_core.maskers
import`` and nothing else, beside tests/nilearn_suite/conftest.py, which loads
nilearn's conftest files as plugins and marks the tests listed in the group's
tests/nilearn_suite/<group>_expected_failures.txt as xfail(strict=True).

The conftest applies the same swap to nilearn's check module
(``nilearn._utils.estimator_checks``), whose ``isinstance`` branches choose
each masker's checks, inputs and expected messages: its names for nilearn's
eight maskers and ``_MultiMixin`` also cover niimasker's classes of the same
name (``_MultiMixin``: ``MultiTransform``), so the drop-ins get the branches
nilearn's own classes get; calling those names still builds nilearn's class,
so no reference masker a check builds becomes ours.

The groups run as two pytest processes at once (the machine has 2 cores).
Prints one line a group, ``nilearn <group> masker suite: N passed, N expected
failures, N failed``, and exits non-zero when any test failed (an expected
failure that passes counts as failed).

Usage: ``run_nilearn_suite.py [--group volume|surface] [pytest arguments]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "nilearn_suite"
GROUPS = {
    "volume": [
        "test_nifti_masker.py",
        "test_multi_nifti_masker.py",
        "test_nifti_labels_masker.py",
        "test_multi_nifti_labels_masker.py",
        "test_nifti_maps_masker.py",
        "test_multi_nifti_maps_masker.py",
        "test_nifti_spheres_masker.py",
    ],
    "surface": [
        "test_surface_masker.py",
        "test_multi_surface_masker.py",
        "test_surface_labels_masker.py",
        "test_multi_surface_labels_masker.py",
        "test_surface_maps_masker.py",
        "test_multi_surface_maps_masker.py",
    ],
}
NILEARN_IMPORT = "from nilearn.maskers import"
OUR_IMPORT = "from niimasker_core.maskers import"


def label(group: str) -> str:
    """The group's name in the counts line."""
    return f"nilearn {group} masker suite"


def prepare(group: str, work: Path) -> None:
    """Copy the group's nilearn test files into ``work``, masker import swapped."""
    import nilearn

    if nilearn.__version__ != "0.14.1":
        sys.exit(f"{label(group)}: needs nilearn 0.14.1, found {nilearn.__version__}")
    source = Path(nilearn.__file__).parent / "maskers" / "tests"
    for name in GROUPS[group]:
        text = (source / name).read_text()
        if NILEARN_IMPORT not in text:
            sys.exit(f"{label(group)}: {name} has no '{NILEARN_IMPORT}'")
        (work / name).write_text(text.replace(NILEARN_IMPORT, OUR_IMPORT))
    shutil.copy(SUITE / "conftest.py", work / "conftest.py")
    (work / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")


def start(group: str, work: Path, argv: list[str]) -> subprocess.Popen:
    """Start pytest on the group's copied files; its output goes to work/pytest.log."""
    prepare(group, work)
    env = dict(os.environ)
    env["NIIMASKER_NILEARN_EXPECTED"] = str(SUITE / f"{group}_expected_failures.txt")
    env["NIIMASKER_NILEARN_SUMMARY"] = str(work / "summary.json")
    cmd = [sys.executable, "-m", "pytest", "-q", "-rf", "--tb=short", *argv, "."]
    log = (work / "pytest.log").open("w")
    return subprocess.Popen(
        cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def finish(group: str, work: Path, proc: subprocess.Popen) -> int:
    """Wait for the group, print its pytest output and counts line; 1 if it failed."""
    rc = proc.wait()
    print((work / "pytest.log").read_text(), end="", flush=True)
    summary = work / "summary.json"
    if not summary.exists():
        print(f"{label(group)}: 0 passed, 0 expected failures, 1 failed")
        return 1
    c = json.loads(summary.read_text())
    print(
        f"{label(group)}: {c['passed']} passed, {c['expected']} expected failures,"
        f" {c['failed']} failed ({c['nilearn_xfail']} xfailed and {c['xpassed']}"
        f" xpassed by nilearn's own marks, {c['skipped']} skipped by nilearn)",
        flush=True,
    )
    return 1 if rc != 0 or c["failed"] else 0


def main(argv: list[str]) -> int:
    """Run the groups (all, or the one after ``--group``); other arguments go to pytest."""
    groups = list(GROUPS)
    if argv[:1] == ["--group"]:
        if len(argv) < 2 or argv[1] not in GROUPS:
            sys.exit(f"--group takes one of: {', '.join(GROUPS)}")
        groups, argv = [argv[1]], argv[2:]
    (ROOT / "build").mkdir(exist_ok=True)
    works = {
        g: Path(tempfile.mkdtemp(prefix=f"nilearn_{g}_suite_", dir=ROOT / "build"))
        for g in groups
    }
    try:
        procs = {g: start(g, works[g], argv) for g in groups}
        return max(finish(g, works[g], procs[g]) for g in groups)
    finally:
        for work in works.values():
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
