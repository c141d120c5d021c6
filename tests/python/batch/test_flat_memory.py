"""A batch of 2,000 images ends in the memory of a batch of 20: the end is streamed.

The command keeps no values; each image's report section and record entry
are made as it finishes, so neither its table nor its sidecar is held until
``parameters.json`` and ``report.html`` are written. Each batch runs in its
own process, whose peak resident memory (``VmHWM``) is compared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

# one process: make the study (every image a link to one tiny run), run the
# command on it, print the process's peak resident memory
_CHILD = """
import json, os, resource, sys
from pathlib import Path
import nibabel as nib, numpy as np
from niimasker_core.faces.cli import main
root, n = Path(sys.argv[1]), int(sys.argv[2])
study = root / "study"
study.mkdir()
for k in range(n):
    os.symlink(root / "run.nii", study / f"sub-{k:04d}_bold.nii")
code = main([str(root / "out"), "-i", str(study / "sub-*_bold.nii"),
             "-r", str(root / "atlas.nii")])
# VmHWM is this program's own peak; ru_maxrss keeps the forking parent's
# (pytest's) across exec on Linux
status = Path("/proc/self/status")
lines = status.read_text().splitlines() if status.is_file() else []
hwm = [int(l.split()[1]) for l in lines if l.startswith("VmHWM:")]
peak = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "peak_kib": peak}))
"""


def _batch(root: Path, n_images: int) -> int:
    """Run a batch of ``n_images`` in a fresh process; return its peak memory (KiB)."""
    root.mkdir()
    rng = np.random.default_rng(0)
    run = nib.Nifti1Image(rng.normal(size=(4, 4, 4, 10)).astype(np.float32), np.eye(4))
    run.header.set_xyzt_units("mm", "sec")
    run.header["pixdim"][4] = 2.0
    run.to_filename(root / "run.nii")
    atlas = (np.arange(64).reshape(4, 4, 4) % 9).astype(np.int16)
    nib.Nifti1Image(atlas, np.eye(4)).to_filename(root / "atlas.nii")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(n_images)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["code"] == 0, done.stderr
    return int(measured["peak_kib"])


def test_two_thousand_images_end_in_the_memory_of_twenty(tmp_path):
    small = _batch(tmp_path / "twenty", 20)
    large = _batch(tmp_path / "many", 2000)
    assert large <= 1.2 * small, (small, large)
    out = tmp_path / "many" / "out"
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert record["status"] == "complete"
    assert [r["status"] for r in record["runs"]] == ["written"] * 2000
    report = (out / "report.html").read_text()
    numbers = [
        int(n) for n in re.findall(r'<section class="image" id="image-(\d+)"', report)
    ]
    assert numbers == list(range(1, 2001))
    assert "Image 2000: sub-1999_bold</h2>" in report
    assert report.count("<figure>") > 0  # the first images' figures
    # only the record and the report are left in the batch's work folder
    assert sorted(p.name for p in (out / "niimasker_data").iterdir()) == [
        "parameters.json"
    ]
