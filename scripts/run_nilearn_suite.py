"""Run nilearn 0.14.1's volume-masker tests against niimasker's drop-ins.

The seven test files come from the installed nilearn wheel at test time
(they are not committed): each is copied into a fresh folder under build/ with
``from nilearn.maskers import`` changed to ``from niimasker_core.maskers
import`` and nothing else, beside tests/nilearn_suite/conftest.py, which
loads nilearn's conftest files as plugins and marks the tests listed in
tests/nilearn_suite/expected_failures.txt as xfail(strict=True).

Prints ``nilearn masker suite: N passed, N expected failures, N failed``
and exits non-zero when any test failed (an expected failure that passes
counts as failed).
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
FILES = [
    "test_nifti_masker.py",
    "test_multi_nifti_masker.py",
    "test_nifti_labels_masker.py",
    "test_multi_nifti_labels_masker.py",
    "test_nifti_maps_masker.py",
    "test_multi_nifti_maps_masker.py",
    "test_nifti_spheres_masker.py",
]
NILEARN_IMPORT = "from nilearn.maskers import"
OUR_IMPORT = "from niimasker_core.maskers import"


def prepare(work: Path) -> None:
    """Copy nilearn's test files into ``work`` with the masker import swapped."""
    import nilearn

    if nilearn.__version__ != "0.14.1":
        sys.exit(
            f"nilearn masker suite: needs nilearn 0.14.1, found {nilearn.__version__}"
        )
    source = Path(nilearn.__file__).parent / "maskers" / "tests"
    for name in FILES:
        text = (source / name).read_text()
        if NILEARN_IMPORT not in text:
            sys.exit(f"nilearn masker suite: {name} has no '{NILEARN_IMPORT}'")
        (work / name).write_text(text.replace(NILEARN_IMPORT, OUR_IMPORT))
    shutil.copy(SUITE / "conftest.py", work / "conftest.py")
    (work / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")


def main(argv: list[str]) -> int:
    """Run the suite; extra arguments go to pytest."""
    (ROOT / "build").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nilearn_suite_", dir=ROOT / "build"))
    try:
        return _run(work, argv)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, argv: list[str]) -> int:
    prepare(work)
    summary = work / "summary.json"
    env = dict(os.environ)
    env["NIIMASKER_NILEARN_EXPECTED"] = str(SUITE / "expected_failures.txt")
    env["NIIMASKER_NILEARN_SUMMARY"] = str(summary)
    cmd = [sys.executable, "-m", "pytest", "-q", "-rf", "--tb=short", *argv, "."]
    rc = subprocess.run(cmd, cwd=work, env=env, check=False).returncode
    if not summary.exists():
        print("nilearn masker suite: 0 passed, 0 expected failures, 1 failed")
        return 1
    c = json.loads(summary.read_text())
    print(
        f"nilearn masker suite: {c['passed']} passed, {c['expected']} expected failures,"
        f" {c['failed']} failed ({c['nilearn_xfail']} xfailed and {c['xpassed']} xpassed"
        f" by nilearn's own marks, {c['skipped']} skipped by nilearn)"
    )
    return 1 if rc != 0 or c["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
