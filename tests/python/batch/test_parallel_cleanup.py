"""A batch with n_jobs > 1 leaves nothing for loky's resource tracker to clean up.

R (reticulate) never shuts Python down, so joblib's exit hooks never run: the
tracker then warned about "leaked folder objects" when every such R session
ended (issue 21). The child below ends as R does, with ``os._exit``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import os, sys
    from niimasker_core.faces.api import extract_timeseries
    files = sys.argv[1:3]
    result = extract_timeseries(files, roi_file=sys.argv[3], t_r=2.0, n_jobs=2)
    assert len(result.timeseries) == 2 and not result.failures
    sys.stdout.write("done\\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # as an embedding R session ends: no atexit hooks
    """
)


def test_parallel_batch_leaves_no_joblib_folder_to_the_resource_tracker(
    bold_file, atlas_file, tmp_path
):
    second = tmp_path / "sub-02_task-rest_bold.nii.gz"
    shutil.copy(bold_file, second)
    core = Path(__file__).resolve().parents[3] / "inst" / "python"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(bold_file), str(second), str(atlas_file)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(core), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert child.stdout == "done\n", child.stderr
    assert "leaked" not in child.stderr, child.stderr
    assert "resource_tracker" not in child.stderr, child.stderr
