"""Benchmark peak memory against run length: 300 against 1200 volumes, per process and worker.

Usage::

    python bench/bench_memory.py [--data /work/benchdata] [--data1200 /work/benchdata1200]
                                 [--images 2] [--repeat 2] [--ways serial,n_jobs,dask]
                                 [--out results.json]

Both folders are ``bench/make_data.py DIR N`` output (same MNI 2 mm grid, same
400-region atlas, fMRIPrep-like confounds), 300 and 1200 volumes. Settings
are the labels bench's: ``--standardize zscore_sample --detrend --high_pass
0.01 --t_r 2`` and the 24 motion confounds, with the report. Each way runs as
a fresh ``niimasker`` process into its own folder:

- serial: one image; its peak is the process's ``ru_maxrss`` (``os.wait4``);
- ``--n_jobs 2`` (joblib) and ``--dask_scheduler local --n_jobs 2``:
  ``--images`` links to the image, so each worker runs images of that length.
  A worker's peak is its ``VmHWM`` (the kernel's high-water mark of its
  resident set), read from ``/proc`` every 20 ms while the batch runs; since
  it only grows, a read misses at most the last 20 ms of a worker's life.

Each way runs ``--repeat`` times, 300 and 1200 in turn, and the smallest peak
is kept (the allocator's layout varies a little between identical runs). The
goal of issue 12 is a peak per worker flat in run length: 1200 volumes within
20% of 300.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labels import CONFOUNDS  # noqa: E402  (the labels bench's 24 motion confounds)

WAYS = {
    "serial": [],
    "n_jobs": ["--n_jobs", "2"],
    "dask": ["--n_jobs", "2", "--dask_scheduler", "local"],
}
GOAL = 1.20


def study(data: Path, folder: Path, n_images: int) -> tuple[str, str, Path]:
    """Link ``data``'s run ``n_images`` times; return the image and confounds patterns."""
    bold = next(data.glob("sub-bench_task-rest_run-*_bold.nii.gz"))
    conf = Path(str(bold).replace("_bold.nii.gz", "_desc-confounds_timeseries.tsv"))
    folder.mkdir()
    for n in range(1, n_images + 1):
        stem = f"sub-{n:02d}_task-rest"
        (folder / f"{stem}_bold.nii.gz").symlink_to(bold)
        (folder / f"{stem}_desc-confounds_timeseries.tsv").symlink_to(conf)
    return (
        str(folder / "sub-*_bold.nii.gz"),
        str(folder / "sub-*_desc-confounds_timeseries.tsv"),
        data / "atlas-synthetic400_dseg.nii.gz",
    )


def command(images: str, confounds: str, atlas: Path, out: Path, *extra: str) -> list:
    exe = Path(sys.executable).with_name("niimasker")
    return [
        str(exe), str(out), "-i", images, "-r", str(atlas),
        "--regressor_files", confounds, "--regressors", *CONFOUNDS,
        "--detrend", "--high_pass", "0.01", "--standardize", "zscore_sample",
        "--t_r", "2", "--overwrite", *extra,
    ]  # fmt: skip


def _descendants(pid: int) -> list[int]:
    """Return the process ids below ``pid`` (children, their children, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _high_water_mib(pid: int) -> tuple[float, str] | None:
    """Return ``pid``'s VmHWM in MiB and its command line, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            kib = next(int(line.split()[1]) for line in status if line[:6] == "VmHWM:")
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, StopIteration):
        return None
    return kib / 1024, argv


def run(argv: list[str]) -> dict:
    """Run ``argv``; return its wall time, its own peak and each descendant's."""
    peaks: dict[int, tuple[float, str]] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            for pid in _descendants(proc.pid):
                got = _high_water_mib(pid)
                if got is not None and got[0] >= peaks.get(pid, (0.0, ""))[0]:
                    peaks[pid] = got
            finished.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    finished.set()
    watcher.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(proc.stderr.read().decode())
    # the workers that ran images; not loky's or multiprocessing's resource
    # tracker, which never imports the core
    workers = [
        mib
        for mib, cmd in peaks.values()
        if "resource_tracker" not in cmd and mib > 100
    ]
    return {
        "wall_s": time.perf_counter() - started,
        # os.wait4: the main process, or a waited-for descendant if larger
        "process_peak_mib": usage.ru_maxrss / 1024,
        "worker_peak_mib": max(workers) if workers else None,
        "workers": len(workers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--data1200", default="/work/benchdata1200")
    parser.add_argument("--images", type=int, default=2, help="images per worker batch")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--out")
    args = parser.parse_args()
    ways = args.ways.split(",")
    rows: dict[str, dict[str, dict]] = {way: {} for way in ways}
    print("load average before:", open("/proc/loadavg").read().strip(), flush=True)
    with tempfile.TemporaryDirectory(prefix="niimasker-mem-") as tmp:
        root = Path(tmp)
        cases = {}
        for label, data in (("300", args.data), ("1200", args.data1200)):
            one = study(Path(data), root / f"one{label}", 1)
            many = study(Path(data), root / f"many{label}", args.images)
            cases[label] = (one, many)
        for _ in range(args.repeat):
            for way in ways:
                for label, (one, many) in cases.items():
                    images, confounds, atlas = one if way == "serial" else many
                    out = root / f"out-{way}-{label}"
                    got = run(command(images, confounds, atlas, out, *WAYS[way]))
                    print(way, label, json.dumps(got), flush=True)
                    best = rows[way].get(label)
                    key = "process_peak_mib" if way == "serial" else "worker_peak_mib"
                    if best is None or got[key] < best[key]:
                        rows[way][label] = got
    print("load average after:", open("/proc/loadavg").read().strip())
    print(f"\nbest of {args.repeat}; workers run {args.images} images each batch\n")
    print(
        "| way | peak measured | 300 vols MiB | 1200 vols MiB | ratio | goal <= 1.20 |"
    )
    print("|---|---|---|---|---|---|")
    for way in ways:
        key = "process_peak_mib" if way == "serial" else "worker_peak_mib"
        low, high = rows[way]["300"][key], rows[way]["1200"][key]
        what = "process (wait4)" if way == "serial" else "largest worker (VmHWM)"
        verdict = "PASS" if high / low <= GOAL else "FAIL"
        print(f"| {way} | {what} | {low:.0f} | {high:.0f} | {high / low:.2f} | "
              f"{verdict} |")  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
