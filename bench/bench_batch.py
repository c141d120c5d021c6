"""Benchmark a study-sized batch: serial, n_jobs=2, Dask LocalCluster, shards, resume.

Usage::

    python bench/bench_batch.py [--data /work/benchdata] [--images 16] [--out results.json]

The 300-volume bench image (``bench/make_data.py``) is linked ``--images``
times as ``sub-XX`` (symbolic links: the same bytes, each read and inflated
again), with its confounds. Settings are the labels bench's (400 regions, 24
motion confounds, detrend, high-pass, ``zscore_sample``), with the report.
Each way runs as a fresh ``niimasker`` process into its own folder:

- serial (``n_jobs=1``): wall time and CPU seconds per image, which give the
  CPU-bound limit of this machine, ``cores / cpu_s_per_image`` images per
  second;
- ``n_jobs=2`` and ``dask_scheduler=local`` (two workers): their rate as a
  fraction of that limit;
- two shards (``--shard 1/2`` and ``2/2``) run at the same time;
- a re-run of the serial folder, which skips every image (resume).

The per-image outputs of every way are compared byte for byte with the
serial run's. Peak memory is the largest resident set of any process
(``os.wait4`` of each child, which includes its worker processes' maximum).

``--flat 2000`` instead measures a batch's end (issue 23): one small run
(10x10x10 voxels, 40 volumes, float32 ``.nii``) and an atlas of 1000
one-voxel regions, linked as 20 and as 2000 images (links: tiny on disk),
each batch one ``niimasker`` command with the report in a fresh process.
It prints each batch's peak resident memory (the process's own ``VmHWM``),
their ratio (goal: at most 1.2x), and the per-image overhead of the batch:
its wall time per image minus the extraction call, i.e. one image's
``process_image`` with its outputs written (mean of 50, timed in this
process), the whole process's start-up and the report included (goal: at
most 30 ms); the wall time per image minus ``process_image`` without
outputs is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labels import CONFOUNDS  # noqa: E402  (the labels bench's 24 motion confounds)


def link_study(data: Path, folder: Path, n_images: int) -> None:
    """Link the bench image and its confounds as ``n_images`` subjects."""
    bold = data / "sub-bench_task-rest_run-300_bold.nii.gz"
    conf = data / "sub-bench_task-rest_run-300_desc-confounds_timeseries.tsv"
    for n in range(1, n_images + 1):
        stem = f"sub-{n:02d}_task-rest"
        (folder / f"{stem}_bold.nii.gz").symlink_to(bold)
        (folder / f"{stem}_bold.json").write_text('{"RepetitionTime": 2.0}')
        (folder / f"{stem}_desc-confounds_timeseries.tsv").symlink_to(conf)


def command(study: Path, data: Path, out: Path, *extra: str) -> list[str]:
    exe = Path(sys.executable).with_name("niimasker")
    return [
        str(exe), str(out), "-i", str(study / "sub-*_bold.nii.gz"),
        "-r", str(data / "atlas-synthetic400_dseg.nii.gz"),
        "--regressor_files", str(study / "sub-*_desc-confounds_timeseries.tsv"),
        "--regressors", *CONFOUNDS, "--detrend", "--high_pass", "0.01",
        "--standardize", "zscore_sample", *extra,
    ]  # fmt: skip


def run(argvs: list[list[str]]) -> dict:
    """Run the commands at the same time; return wall time, CPU and peak memory."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for a in argvs
    ]
    cpu, peak = 0.0, 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(proc.stderr.read().decode())
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss / 1024)
    # os.wait4 gives each child's own usage (its threads, not its worker
    # processes): the CPU limit comes from the serial run, where that is all.
    return {"wall_s": time.perf_counter() - started, "cpu_s": cpu, "peak_mib": peak}


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.name.endswith(("_timeseries.tsv", "_timeseries.json", "_coverage.tsv"))
    }


# one process: the command on the study, then its own peak memory (VmHWM is
# this program's: ru_maxrss would keep the forking parent's across exec)
_FLAT_CHILD = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from niimasker_core.faces.cli import main
code = main(sys.argv[1:])
wall = time.perf_counter() - started
lines = Path("/proc/self/status").read_text().splitlines()
hwm = [int(l.split()[1]) for l in lines if l.startswith("VmHWM:")][0]
print(json.dumps({"code": code, "wall_s": wall, "peak_mib": hwm / 1024}))
"""


def make_flat_study(root: Path, n_images: int) -> list[str]:
    """Write the small run and atlas once, link the run ``n_images`` times."""
    import nibabel as nib
    import numpy as np

    run, atlas = root / "run.nii", root / "atlas-1000_dseg.nii"
    if not run.exists():
        rng = np.random.default_rng(0)
        data = (100 + rng.normal(size=(10, 10, 10, 40)).cumsum(-1)).astype(np.float32)
        img = nib.Nifti1Image(data, np.eye(4) * [2, 2, 2, 1])
        img.header.set_xyzt_units("mm", "sec")
        img.header["pixdim"][4] = 2.0
        img.to_filename(run)
        labels = np.arange(1, 1001, dtype=np.int16).reshape(10, 10, 10)
        nib.Nifti1Image(labels, img.affine).to_filename(atlas)
    study = root / f"study-{n_images}"
    study.mkdir()
    for n in range(n_images):
        (study / f"sub-{n:04d}_task-rest_bold.nii").symlink_to(run)
    return [
        str(root / f"out-{n_images}"), "-i", str(study / "sub-*_bold.nii"),
        "-r", str(atlas), "--detrend", "--standardize", "zscore_sample",
    ]  # fmt: skip


def extraction_call_s(
    argv: list[str], output_dir: str | None, repeat: int = 50
) -> float:
    """Return the mean time of one image's ``process_image`` (outputs written or not)."""
    from niimasker_core.batch.image import process_image
    from niimasker_core.batch.job import Job
    from niimasker_core.batch.plan import plan_runs
    from niimasker_core.params.options import RunOptions
    from niimasker_core.params.settings import make_settings
    from niimasker_core.rois.sets import load_roi_sets

    settings = make_settings(
        input_files=[argv[2]], roi_file=argv[4], detrend=True,
        standardize="zscore_sample",
    )  # fmt: skip
    options = RunOptions.from_settings(settings)
    plan = plan_runs(settings, options.confounds)[0]
    job = Job(settings, options, tuple(load_roi_sets(options.rois)))
    process_image(plan, job, output_dir)  # warm: the atlas's reduction, imports
    started = time.perf_counter()
    for _ in range(repeat):
        process_image(plan, job, output_dir)
    return (time.perf_counter() - started) / repeat


def flat(n_large: int, n_small: int = 20) -> None:
    """Measure the batch's end: peak memory at ``n_small`` and ``n_large`` images."""
    load_before = os.getloadavg()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in (n_small, n_large):
            argv = make_flat_study(root, n)
            done = subprocess.run(
                [sys.executable, "-c", _FLAT_CHILD, *argv],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            rows[n] = json.loads(done.stdout.strip().splitlines()[-1])
            assert rows[n]["code"] == 0, done.stderr
            print(n, json.dumps(rows[n]), flush=True)
        first = str(next((root / f"study-{n_small}").iterdir()))
        given = [argv[0], "-i", first, "-r", argv[4]]
        bare = extraction_call_s(given, None)
        (root / "scratch").mkdir()
        call = extraction_call_s(given, str(root / "scratch"))
    load_after = os.getloadavg()
    print(
        "\n| images | wall s | ms/image | peak MiB | overhead ms/image "
        "| ms/image minus extraction without outputs |"
    )
    print("|---|---|---|---|---|---|")
    for n, row in rows.items():
        per = row["wall_s"] / n
        print(f"| {n} | {row['wall_s']:.1f} | {per * 1e3:.1f} | "
              f"{row['peak_mib']:.1f} | {(per - call) * 1e3:.1f} | "
              f"{(per - bare) * 1e3:.1f} |")  # fmt: skip
    ratio = rows[n_large]["peak_mib"] / rows[n_small]["peak_mib"]
    print(f"\nextraction call {call * 1e3:.1f} ms/image with its outputs written "
          f"({bare * 1e3:.1f} ms without); peak memory {n_large} vs {n_small} "
          f"images: {ratio:.3f}x (goal <= 1.2x); load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--out")
    parser.add_argument("--flat", type=int, help="measure a batch's end at N images")
    args = parser.parse_args()
    if args.flat:
        flat(args.flat)
        return
    data = Path(args.data)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        study = root / "study"
        study.mkdir()
        link_study(data, study, args.images)
        ways = {
            "serial": [command(study, data, root / "serial")],
            "n_jobs=2": [command(study, data, root / "joblib", "--n_jobs", "2")],
            "dask local, 2 workers": [
                command(
                    study,
                    data,
                    root / "dask",
                    "--n_jobs",
                    "2",
                    "--dask_scheduler",
                    "local",
                )  # fmt: skip
            ],
            "2 shards at once": [
                command(study, data, root / "shards", "--shard", f"{i}/2")
                for i in (1, 2)
            ],
            "re-run (all skipped)": [command(study, data, root / "serial")],
        }
        for name, argvs in ways.items():
            rows[name] = run(argvs)
            print(name, json.dumps(rows[name]), flush=True)
        reference = outputs(root / "serial")
        for name, folder in (("n_jobs=2", "joblib"), ("dask local, 2 workers", "dask"),
                             ("2 shards at once", "shards")):  # fmt: skip
            rows[name]["identical_to_serial"] = outputs(root / folder) == reference
    n = args.images
    cpu_per_image = rows["serial"]["cpu_s"] / n
    limit = args.cores / cpu_per_image
    print(f"\n{n} images, {args.cores} cores; serial CPU {cpu_per_image:.2f} s/image; "
          f"CPU-bound limit {limit:.3f} images/s\n")  # fmt: skip
    print(
        "| way | wall s | s/image | images/s | % of CPU limit | peak MiB | same bytes |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        rate = n / row["wall_s"]
        row.update(rate=rate, fraction_of_limit=rate / limit)
        same = row.get("identical_to_serial", "")
        print(f"| {name} | {row['wall_s']:.1f} | {row['wall_s'] / n:.2f} | {rate:.3f} | "
              f"{100 * rate / limit:.0f}% | {row['peak_mib']:.0f} | {same} |")  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
