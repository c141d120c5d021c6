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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--out")
    args = parser.parse_args()
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
