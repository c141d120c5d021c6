"""Benchmark niimasker's NiftiMasker against nilearn's: whole-brain voxels, same settings.

Usage::

    python bench/bench_voxels.py [--data DIR] [--repeat N] [--reference FILE] [--out FILE]

Whole-brain voxels of nilearn's bundled MNI152 2 mm brain mask
(``nilearn.datasets.load_mni152_brain_mask(resolution=2)``, no download) from the
300-volume float32 ``.nii.gz`` of ``bench/make_data.py`` (``--data``, default
``/work/benchdata``), with ``standardize='zscore_sample'``, ``detrend=True``,
``high_pass=0.01``, ``t_r=2`` and the 24 motion confounds (first-row ``n/a``
filled from the second row).

Each side runs in a fresh child process, so its peak RSS (``os.wait4``) is its own:

* nilearn: ``nilearn.maskers.NiftiMasker(...).fit_transform`` (default install, no
  ``indexed_gzip``; ``reports=True``, its default);
* niimasker: ``niimasker_core.NiftiMasker(...).fit_transform``, same arguments.

"call" is ``fit_transform`` alone (imports excluded), "process" the whole child.
nilearn's side takes minutes; ``--reference FILE`` keeps its output and timings in
``FILE`` (``.npy`` + ``.json``) and reuses them when they exist, so niimasker's side
can be re-measured alone (the table says so). Times vary with the machine's load:
compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MOTION = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
CONFOUNDS = [
    f"{m}{suffix}"
    for m in MOTION
    for suffix in ("", "_derivative1", "_power2", "_derivative1_power2")
]
SETTINGS = {
    "standardize": "zscore_sample",
    "detrend": True,
    "high_pass": 0.01,
    "t_r": 2.0,
}
GOALS = {"speed_up": 20.0, "peak_ratio": 0.5, "diff": 1e-5}
STEM = "sub-bench_task-rest_run-300"


# ----------------------------------------------------------------------------- children
def _confounds(path: str) -> np.ndarray:
    import pandas as pd

    table = pd.read_csv(path, sep="\t", na_values="n/a")[CONFOUNDS].to_numpy()
    table[0] = np.where(np.isnan(table[0]), table[1], table[0])
    return table


def child(side: str, img: str, confounds: str, out: str) -> dict:
    started = time.perf_counter()
    from nilearn.datasets import load_mni152_brain_mask

    if side == "nilearn":
        from nilearn.maskers import NiftiMasker
    else:
        import nilearn.signal  # noqa: F401  (what the cleaning calls)

        from niimasker_core import NiftiMasker
    mask = load_mni152_brain_mask(resolution=2)
    table = _confounds(confounds)
    imported = time.perf_counter()
    masker = NiftiMasker(mask_img=mask, **SETTINGS)
    signals = masker.fit_transform(img, confounds=table)
    done = time.perf_counter()
    np.save(out, signals)
    return {
        "import_s": imported - started,
        "call_s": done - imported,
        "n_voxels": int(signals.shape[1]),
        "dtype": str(signals.dtype),
    }


def run_child(argv: list[str]) -> dict:
    """Run ``argv`` in a fresh process; return wall time, peak RSS and its report."""
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
        raise RuntimeError(f"{argv[:4]} failed ({code}):\n{stderr}")
    report = json.loads(stdout.strip().splitlines()[-1])
    return {
        **report,
        "process_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def _command_case(img: Path, confounds: Path, tmp: Path, expected: np.ndarray) -> dict:
    """Time the command writing the cleaned voxels as a 4D NIfTI (one run).

    Its process is compared with nilearn's ``fit_transform`` process alone, a
    lower bound of nilearn's ``fit_transform`` + ``inverse_transform`` +
    ``to_filename``.
    """
    import nibabel as nib
    from nilearn.datasets import load_mni152_brain_mask

    mask_file = tmp / "mni152_brain_mask_2mm.nii.gz"
    load_mni152_brain_mask(resolution=2).to_filename(mask_file)
    exe = Path(sys.executable).with_name("niimasker")
    out = tmp / "command"
    print("niimasker command...", file=sys.stderr, flush=True)
    argv = [
        str(exe), str(out), "-i", str(img), "-m", str(mask_file),
        "--regressor_files", str(confounds), "--regressors", *CONFOUNDS,
        "--standardize", "zscore_sample", "--detrend",
        "--high_pass", "0.01", "--t_r", "2",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(f"the command failed:\n{err.read().decode()}")
    written = nib.load(next(out.glob("*_timeseries.nii.gz")))
    mask = np.asanyarray(nib.load(out / "niimasker_data" / "mask_img.nii.gz").dataobj)
    got = np.asanyarray(written.dataobj)[mask.astype(bool)].T
    return {
        "process_s": wall,
        "peak_mib": usage.ru_maxrss / 1024,
        "diff": float(np.max(np.abs(got - expected))),
    }


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/benchdata", help="bench data folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs of niimasker")
    parser.add_argument("--reference", default=None, help="keep/reuse nilearn's run")
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    parser.add_argument(
        "--command",
        action="store_true",
        help="also time the niimasker command writing the NIfTI output",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return

    data = Path(args.data)
    img = data / f"{STEM}_bold.nii.gz"
    confounds = data / f"{STEM}_desc-confounds_timeseries.tsv"
    if not img.exists():
        raise SystemExit(f"no bench data in {data}: run bench/make_data.py {data} 300")
    me = [sys.executable, str(Path(__file__).resolve())]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="niimasker-bench-") as tmp:
        ref = Path(args.reference) if args.reference else Path(tmp) / "nilearn"
        ref_npy, ref_json = ref.with_suffix(".npy"), ref.with_suffix(".json")
        reused = ref_npy.exists() and ref_json.exists()
        if reused:
            theirs = json.loads(ref_json.read_text())
        else:
            print("nilearn (minutes)...", file=sys.stderr, flush=True)
            theirs = run_child(
                [*me, "--child", "nilearn", str(img), str(confounds), str(ref_npy)]
            )
            theirs["load_average"] = os.getloadavg()[0]
            ref_json.write_text(json.dumps(theirs))
        expected = np.load(ref_npy)
        ours_runs = []
        diff = 0.0
        for attempt in range(args.repeat):
            print(f"niimasker run {attempt + 1}/{args.repeat}", file=sys.stderr)
            out = Path(tmp) / "ours.npy"
            ours_runs.append(
                run_child([*me, "--child", "ours", str(img), str(confounds), str(out)])
            )
            got = np.load(out)
            assert got.shape == expected.shape, (got.shape, expected.shape)
            diff = max(diff, float(np.max(np.abs(got - expected))))
        command = (
            _command_case(img, confounds, Path(tmp), expected) if args.command else None
        )
    load_after = os.getloadavg()
    ours = {k: min(r[k] for r in ours_runs) for k in ours_runs[0] if k.endswith("_s")}
    ours["peak_mib"] = max(r["peak_mib"] for r in ours_runs)
    scale = float(np.max(np.abs(expected)))
    speed_up = theirs["call_s"] / ours["call_s"]
    peak_ratio = ours["peak_mib"] / theirs["peak_mib"]
    print(
        "\n| fit_transform, 300 vols .nii.gz, "
        f"{expected.shape[1]} voxels | nilearn | niimasker (best of {args.repeat}) "
        "| ratio |\n|---|---|---|---|"
    )
    print(
        f"| call | {theirs['call_s']:.1f} s | {ours['call_s']:.2f} s "
        f"| **{speed_up:.1f}x** |"
    )
    print(
        f"| whole process | {theirs['process_s']:.1f} s | {ours['process_s']:.2f} s "
        f"| **{theirs['process_s'] / ours['process_s']:.1f}x** |"
    )
    print(
        f"| peak RSS | {theirs['peak_mib'] / 1024:.2f} GiB "
        f"| {ours['peak_mib'] / 1024:.2f} GiB | {peak_ratio:.2f} |"
    )
    print(f"| max abs diff (max abs value {scale:.2f}) | | {diff:.1e} | |")
    if command is not None:
        ratio = theirs["process_s"] / command["process_s"]
        print(
            f"| `niimasker` command writing `.nii.gz` (process) vs nilearn's "
            f"fit_transform process | {theirs['process_s']:.1f} s "
            f"| {command['process_s']:.2f} s | **{ratio:.1f}x** |"
        )
        print(
            f"| command peak RSS / max abs diff | | "
            f"{command['peak_mib'] / 1024:.2f} GiB / {command['diff']:.1e} | |"
        )
    print(
        f"\n- fit_transform >= {GOALS['speed_up']}x: {speed_up:.1f}x "
        f"{'PASS' if speed_up >= GOALS['speed_up'] else 'FAIL'}"
    )
    print(
        f"- peak RSS <= {GOALS['peak_ratio']} of nilearn's: {peak_ratio:.2f} "
        f"{'PASS' if peak_ratio <= GOALS['peak_ratio'] else 'FAIL'}"
    )
    print(
        f"- max abs diff / max abs value <= {GOALS['diff']}: {diff / scale:.1e} "
        f"{'PASS' if diff / scale <= GOALS['diff'] else 'FAIL'}"
    )
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} CPUs; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
        + (
            f" (nilearn measured earlier at load {theirs.get('load_average', 0):.2f})"
            if reused
            else f" (nilearn's run ended at load {theirs['load_average']:.2f})"
        )
        + ". nilearn reference: default install (no indexed_gzip), reports=True."
    )
    if args.out:
        Path(args.out).write_text(
            json.dumps({"nilearn": theirs, "niimasker": ours_runs, "diff": diff})
        )


if __name__ == "__main__":
    main()
