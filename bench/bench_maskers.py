"""Benchmark the drop-in region maskers against nilearn's, in one run (issue 13).

Usage::

    python bench/bench_maskers.py [--data DIR] [--repeat N] [--maps N] [--out FILE]

DATA (default ``/work/benchdata``, made by ``bench/make_data.py``) holds the 300-volume
MNI 2 mm float32 ``.nii.gz``, the 400-region atlas and the confounds. The spheres
(100 seeds, 6 mm, inside the brain) and the probabilistic maps (``--maps``, default
1000 overlapping Gaussians) are written once next to them by ``bench/bench_rois.py``'s
``make_seeds`` / ``make_maps``.

Each measurement is a fresh child process (``os.wait4`` gives its own peak RSS):

* ``NiftiLabelsMasker`` / ``NiftiSpheresMasker`` / ``NiftiMapsMasker``: nilearn's
  (as installed: ``reports=True``, no ``indexed_gzip``) and ours, the same arguments,
  ``fit_transform(bold, confounds=<24 motion columns>)`` timed after the imports;
* ``MultiNiftiLabelsMasker`` / ``MultiNiftiMapsMasker`` with ``n_jobs=2`` on 4 images
  (symbolic links to the same run, so both sides read the same bytes) against the
  ``niimasker`` command's batch with ``--n_jobs 2`` on the same 4 images, both as whole
  processes (the command writes its TSVs; the masker keeps its arrays).

Cleaning everywhere: ``standardize='zscore_sample'``, ``detrend=True``,
``high_pass=0.01``, ``t_r=2``. Every job runs ``--repeat`` times (the maps case
``--repeat-maps`` times: nilearn's needs ~14 GiB), interleaved, and the best time is
kept (other work on a shared machine only ever adds time); the load average before and
after is printed, since other processes share the cores.
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

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_labels import CONFOUNDS, SETTINGS, niimasker_command, versions  # noqa: E402
from bench_rois import make_maps, make_seeds  # noqa: E402

BOLD = "sub-bench_task-rest_run-300_bold.nii.gz"
ATLAS = "atlas-synthetic400_dseg.nii.gz"
CONF = "sub-bench_task-rest_run-300_desc-confounds_timeseries.tsv"
GOALS = {"labels": 6.0, "spheres": 7.0, "maps": 20.0, "memory": 5.0, "multi": 1.0}
N_MULTI = 4


# ----------------------------------------------------------------------------- children
def _confounds(path: str) -> np.ndarray:
    import pandas as pd

    table = pd.read_csv(path, sep="\t", na_values="n/a")[CONFOUNDS].to_numpy()
    table[0] = np.where(np.isnan(table[0]), table[1], table[0])
    return table


def child(side: str, kind: str, roi: str, imgs: str, confounds: str, out: str) -> dict:
    """Run one masker job in this (fresh) process; return its timings."""
    import warnings

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if side == "nilearn":
        import nilearn.maskers as module
    else:
        if not kind.startswith("multi"):  # the workers clean, not this process
            import nilearn.signal  # noqa: F401  (the cleaning's import, as bench_labels)

        import niimasker_core as module
    imported = time.perf_counter()
    if kind == "labels":
        masker = module.NiftiLabelsMasker(roi, **SETTINGS)
    elif kind == "spheres":
        import pandas as pd

        seeds = pd.read_csv(roi, sep="\t")[["x", "y", "z"]].to_numpy().tolist()
        masker = module.NiftiSpheresMasker(seeds, radius=6.0, **SETTINGS)
    elif kind == "maps":
        masker = module.NiftiMapsMasker(roi, **SETTINGS)
    elif kind == "multi_labels":
        masker = module.MultiNiftiLabelsMasker(roi, n_jobs=2, **SETTINGS)
    elif kind == "multi_maps":
        masker = module.MultiNiftiMapsMasker(roi, n_jobs=2, **SETTINGS)
    else:
        raise SystemExit(f"unknown job {kind}")
    if kind.startswith("multi"):
        signals = masker.fit_transform(imgs.split(","))
        signals = np.stack(signals)
    else:
        signals = masker.fit_transform(imgs, confounds=_confounds(confounds))
    done = time.perf_counter()
    np.save(out, np.asarray(signals, dtype=np.float64))
    return {"import_s": imported - started, "call_s": done - imported}


def run_child(argv: list[str]) -> dict:
    """Run ``argv`` in a fresh process; return wall time, CPU, peak RSS and its report."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code != 0:
        raise RuntimeError(f"{argv[:4]} failed ({code}):\n{stderr[-3000:]}")
    report = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    return {
        **report,
        "process_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def _best(runs: list[dict]) -> dict:
    best = {k: min(r[k] for r in runs) for k in runs[0] if k.endswith("_s")}
    return {**best, "peak_mib": max(r["peak_mib"] for r in runs)}


# ----------------------------------------------------------------------------- cases
def masker_case(kind: str, roi: Path, data: Path, work: Path, repeat: int) -> dict:
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    files = [str(roi), str(data / BOLD), str(data / CONF)]
    outs = {side: work / f"{kind}_{side}.npy" for side in ("nilearn", "ours")}
    runs: dict[str, list[dict]] = {"nilearn": [], "ours": []}
    for attempt in range(1, repeat + 1):
        for side in ("nilearn", "ours"):
            print(
                f"[{kind}] {side} run {attempt}/{repeat}", file=sys.stderr, flush=True
            )
            runs[side].append(run_child([*me, side, kind, *files, str(outs[side])]))
    expected, got = np.load(outs["nilearn"]), np.load(outs["ours"])
    return {
        "case": kind,
        "repeat": repeat,
        "nilearn": _best(runs["nilearn"]),
        "ours": _best(runs["ours"]),
        "diff": float(np.max(np.abs(got - expected))),
        "scale": float(np.max(np.abs(expected))),
    }


def multi_case(kind: str, roi: Path, data: Path, work: Path, repeat: int) -> dict:
    folder = work / f"{kind}_inputs"
    folder.mkdir(exist_ok=True)
    imgs = []
    for i in range(N_MULTI):
        link = folder / f"sub-{i:02d}_task-rest_bold.nii.gz"
        if not link.exists():
            link.symlink_to(data / BOLD)
        imgs.append(str(link))
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    out = work / f"{kind}_ours.npy"
    masker = [*me, "ours", kind, str(roi), ",".join(imgs), "-", str(out)]
    cli_out = work / f"{kind}_cli"
    command = [
        niimasker_command(), str(cli_out), "-i", *imgs, "-r", str(roi),
        "--standardize", "zscore_sample", "--detrend",
        "--high_pass", "0.01", "--t_r", "2", "--n_jobs", "2",
        "--overwrite",  # each repeat redoes the batch: a re-run would skip it
    ]  # fmt: skip
    runs: dict[str, list[dict]] = {"command": [], "ours": []}
    for attempt in range(1, repeat + 1):
        print(f"[{kind}] run {attempt}/{repeat}", file=sys.stderr, flush=True)
        runs["command"].append(run_child(command))
        runs["ours"].append(run_child(masker))
    import pandas as pd

    got = np.load(out)
    tsvs = sorted(cli_out.glob("*_timeseries.tsv"))
    expected = np.stack(
        [pd.read_csv(t, sep="\t", na_values="n/a").to_numpy() for t in tsvs]
    )
    return {
        "case": kind,
        "repeat": repeat,
        "command": _best(runs["command"]),
        "ours": _best(runs["ours"]),
        "diff": float(np.max(np.abs(got - expected))),
        "scale": float(np.max(np.abs(expected))),
    }


# ----------------------------------------------------------------------------- report
def table(rows: list[dict]) -> str:
    lines = [
        "| masker | nilearn `fit_transform` | niimasker_core | speed-up "
        "| nilearn peak RSS | niimasker_core peak RSS | memory | max abs diff "
        "(max abs value) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n, o = r["nilearn"], r["ours"]
        lines.append(
            f"| {r['case']}, best of {r['repeat']} | {n['call_s']:.2f} s "
            f"| {o['call_s']:.2f} s | **{n['call_s'] / o['call_s']:.1f}x** "
            f"| {n['peak_mib'] / 1024:.2f} GiB | {o['peak_mib']:.0f} MiB "
            f"| {n['peak_mib'] / o['peak_mib']:.1f}x less "
            f"| {r['diff']:.1e} ({r['scale']:.1f}) |"
        )
    return "\n".join(lines)


def multi_table(rows: list[dict]) -> str:
    lines = [
        f"| {N_MULTI} images, `n_jobs=2` | `niimasker` command batch (process) "
        "| Multi masker (process) | ratio | max abs diff |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        c, o = r["command"], r["ours"]
        lines.append(
            f"| {r['case']}, best of {r['repeat']} | {c['process_s']:.2f} s "
            f"| {o['process_s']:.2f} s | **{c['process_s'] / o['process_s']:.2f}x** "
            f"| {r['diff']:.1e} |"
        )
    return "\n".join(lines)


def goals(rows: list[dict], multi: list[dict]) -> list[str]:
    out = []
    for r in rows:
        speed = r["nilearn"]["call_s"] / r["ours"]["call_s"]
        memory = r["nilearn"]["peak_mib"] / r["ours"]["peak_mib"]
        goal = GOALS[r["case"]]
        ok = speed >= goal and memory >= GOALS["memory"]
        out.append(
            f"{r['case']}: {speed:.1f}x faster (goal {goal}x), {memory:.1f}x less "
            f"memory (goal {GOALS['memory']}x) {'PASS' if ok else 'FAIL'}"
        )
    for r in multi:
        ratio = r["command"]["process_s"] / r["ours"]["process_s"]
        out.append(
            f"{r['case']} n_jobs=2 vs command batch n_jobs=2: {ratio:.2f}x "
            f"{'PASS' if ratio >= GOALS['multi'] else 'FAIL'}"
        )
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:8])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per job (best kept)"
    )
    parser.add_argument("--maps", type=int, default=1000, help="number of maps")
    parser.add_argument(
        "--repeat-maps",
        type=int,
        default=1,
        help="runs of the maps case (nilearn's needs ~14 GiB and minutes)",
    )
    parser.add_argument("--skip", nargs="*", default=[], help="cases to skip")
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    args = parser.parse_args()
    data = Path(args.data)
    rois = {
        "labels": data / ATLAS,
        "spheres": make_seeds(data),
        "maps": make_maps(data, args.maps),
    }
    load_before = os.getloadavg()
    rows, multi = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for kind in ("labels", "spheres", "maps"):
            repeat = args.repeat_maps if kind == "maps" else args.repeat
            if kind not in args.skip:
                rows.append(masker_case(kind, rois[kind], data, work, repeat))
        for kind, roi in (
            ("multi_labels", rois["labels"]),
            ("multi_maps", rois["maps"]),
        ):
            if kind not in args.skip:
                multi.append(multi_case(kind, roi, data, work, args.repeat))
    load_after = os.getloadavg()
    print(table(rows))
    print()
    print(multi_table(multi))
    print()
    print("\n".join(goals(rows, multi)))
    print(
        f"\nload average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
        f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/"
        f"{load_after[2]:.2f}; {os.cpu_count()} CPUs"
    )
    print(versions())
    if args.out:
        Path(args.out).write_text(
            json.dumps({"rows": rows, "multi": multi}, indent=2), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
