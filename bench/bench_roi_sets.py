"""Benchmark several ROI sets from one read against one run per atlas.

Usage::

    python bench/bench_roi_sets.py [--data /work/benchdata] [--repeat 2]

Four ROI sets on the 300-volume bench run (``bench/make_data.py``): the
400-region labels atlas, 100 spheres of 6 mm around ``bench_seeds.tsv`` (made
here if missing), 64 probabilistic maps (Gaussian blobs on a 4 mm grid, made
here) and a second labels atlas (the first one's labels merged four by four).
Each is run alone as a ``niimasker`` process, then all four in one process
(``-r`` repeated), with the labels bench's cleaning and ``--overwrite``; the
best of ``--repeat`` runs is kept. The goals (issue 12): four sets at most
1.3x the slowest single set, and at least 3x faster than the four runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labels import CONFOUNDS  # noqa: E402  (the labels bench's 24 motion confounds)


def make_rois(data: Path, folder: Path) -> dict[str, str]:
    atlas = data / "atlas-synthetic400_dseg.nii.gz"
    img = nib.load(atlas)
    labels = np.asarray(img.dataobj).astype(np.int32)
    coarse = folder / "atlas-coarse100_dseg.nii.gz"
    nib.Nifti1Image(((labels + 3) // 4).astype(np.int16), img.affine).to_filename(
        coarse
    )
    seeds = data / "bench_seeds.tsv"
    if not seeds.is_file():
        rng = np.random.default_rng(0)
        xyz = rng.uniform([-60, -90, -30], [60, 60, 60], (100, 3))
        seeds = folder / "seeds.tsv"
        np.savetxt(
            seeds, xyz, delimiter="\t", header="x\ty\tz", comments="", fmt="%.2f"
        )
    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    affine[:3, 3] = [-90, -126, -72]
    grid = np.indices((46, 55, 46)).transpose(1, 2, 3, 0).astype(np.float32)
    rng = np.random.default_rng(1)
    centres = rng.uniform([8, 8, 8], [38, 47, 38], (64, 3))
    maps = np.stack(
        [np.exp(-((grid - c) ** 2).sum(-1) / 8.0) for c in centres], axis=-1
    )
    maps[maps < 0.05] = 0
    maps_file = folder / "maps64.nii.gz"
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(maps_file)
    return {
        "labels400": str(atlas),
        "spheres100": str(seeds),
        "maps64": str(maps_file),
        "labels100": str(coarse),
    }


def niimasker(data: Path, out: Path, rois: list[str], extra: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("niimasker")
    stem = "sub-bench_task-rest_run-300"
    argv = [str(exe), str(out), "-i", str(data / f"{stem}_bold.nii.gz")]
    for roi in rois:
        argv += ["-r", roi]
    return argv + [
        "--regressor_files", str(data / f"{stem}_desc-confounds_timeseries.tsv"),
        "--regressors", *CONFOUNDS, "--detrend", "--high_pass", "0.01",
        "--standardize", "zscore_sample", "--t_r", "2", "--overwrite", *extra,
    ]  # fmt: skip


def timed(argv: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = Path(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rois = make_rois(data, folder)
        runs = {name: [f"{name}={path}"] for name, path in rois.items()}
        runs["all four"] = [f"{n}={p}" for n, p in rois.items()]
        best: dict[str, tuple[float, float]] = {}
        for attempt in range(args.repeat):
            for name, entries in runs.items():
                extra = ["--radius", "6", "--allow_overlap"]
                wall, cpu = timed(niimasker(data, folder / "out", entries, extra))
                print(f"[{attempt + 1}] {name}: {wall:.2f} s ({cpu:.2f} s CPU)",
                      flush=True)  # fmt: skip
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
    singles = {k: v for k, v in best.items() if k != "all four"}
    slowest = max(w for w, _ in singles.values())
    separate = sum(w for w, _ in singles.values())
    together = best["all four"][0]
    print(f"\nload average {os.getloadavg()[0]:.2f}; best of {args.repeat}\n")
    print("| ROI sets | wall s | CPU s |\n|---|---|---|")
    for name, (wall, cpu) in best.items():
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    print(f"\nall four / slowest single: {together / slowest:.2f}x (goal <= 1.3x)")
    print(f"four separate runs / all four: {separate / together:.2f}x (goal >= 3x)")


if __name__ == "__main__":
    main()
