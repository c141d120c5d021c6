"""Benchmark reading an image on another grid than its own against nilearn (issue 23).

Usage::

    python bench/bench_resampling.py [--data DIR] [--work DIR] [--volumes N]
                                     [--maps N] [--repeat N] [--skip CASE ...]

DATA (default ``/work/benchdata``, made by ``bench/make_data.py``) holds the MNI 2 mm
float32 run and its 400-region atlas. Written once into WORK (default
``bench/data/resampling``):

* the atlas resampled to 1.5 mm (nearest; 121x145x121, the same field of view), as a
  study would use a finer atlas than its runs;
* ``--maps`` (default 32) probabilistic maps on that 1.5 mm grid: a Gaussian (6 mm
  sigma) at the centroid of every 12th region, cut below 0.05;
* the run's first ``--volumes`` volumes, ``.nii.gz`` (all 300 by default: the run
  itself).

Cases, each side a fresh child process (``os.wait4`` gives its own peak RSS),
``fit_transform`` timed after the imports, no cleaning (the resampled signals are
compared as they are):

* ``labels``: ``NiftiLabelsMasker(atlas_1.5mm, resampling_target="labels")``;
* ``maps``: ``NiftiMapsMasker(maps_1.5mm, resampling_target="maps")``;
* ``voxels``: ``NiftiMasker(mask_img=<the run's brain mask>, target_affine=1.5 mm)``.

nilearn resamples every volume to the 1.5 mm grid with ``resample_img``; niimasker
computes the resampled values only at the voxels each masker reads. The table gives
both times, the speed-up, both peak RSS, the largest difference relative to the
largest value and each process's CPU time (steadier than wall time on a shared
machine); the load average before and after is printed beside it.
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

from bench_labels import versions  # noqa: E402
from bench_maskers import run_child  # noqa: E402

BOLD = "sub-bench_task-rest_run-300_bold.nii.gz"
MASK = "sub-bench_task-rest_run-300_desc-brain_mask.nii.gz"
ATLAS = "atlas-synthetic400_dseg.nii.gz"
FINE_MM = 1.5
GOAL = 15.0


# ----------------------------------------------------------------------------- data
def fine_grid(img) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Return the 1.5 mm affine and shape covering the field of view of ``img``."""
    affine = np.diag([FINE_MM, FINE_MM, FINE_MM, 1.0])
    affine[:3, 3] = img.affine[:3, 3]
    zooms = np.abs(np.diag(img.affine)[:3])
    shape = np.ceil(np.array(img.shape[:3]) * zooms / FINE_MM).astype(int)
    return affine, tuple(int(n) for n in shape)


def make_data(data: Path, work: Path, n_volumes: int, n_maps: int) -> dict:
    """Write the 1.5 mm atlas and maps and the shortened run once; return their paths."""
    import nibabel as nib
    from nilearn.image import resample_img

    work.mkdir(parents=True, exist_ok=True)
    paths = {
        "atlas": work / "atlas-synthetic400_res-1p5_dseg.nii.gz",
        "maps": work / f"maps-{n_maps}_res-1p5.nii.gz",
        "bold": work / f"sub-bench_task-rest_run-{n_volumes}_bold.nii.gz",
        "mask": data / MASK,
    }
    atlas = nib.load(data / ATLAS)
    affine, shape = fine_grid(atlas)
    if not paths["atlas"].exists():
        fine = resample_img(
            atlas,
            target_affine=affine,
            target_shape=shape,
            interpolation="nearest",
            force_resample=True,
            copy_header=True,
        )
        labels = np.asanyarray(fine.dataobj).astype(np.int16)
        nib.Nifti1Image(labels, affine).to_filename(paths["atlas"])
    if not paths["maps"].exists():
        labels = np.asanyarray(nib.load(paths["atlas"]).dataobj)
        grid = np.indices(shape, dtype=np.float32).transpose(1, 2, 3, 0)
        maps = np.zeros((*shape, n_maps), dtype=np.float32)
        for m, region in enumerate(range(1, 12 * n_maps + 1, 12)):
            centre = np.argwhere(labels == region).mean(axis=0)
            dist2 = ((grid - centre) ** 2).sum(-1) * FINE_MM**2
            blob = np.exp(-dist2 / (2 * 6.0**2))
            maps[..., m] = np.where(blob >= 0.05, blob, 0)
        nib.Nifti1Image(maps, affine).to_filename(paths["maps"])
    bold = nib.load(data / BOLD)
    if n_volumes >= bold.shape[3]:
        paths["bold"] = data / BOLD
    elif not paths["bold"].exists():
        part = np.asanyarray(bold.dataobj[..., :n_volumes])
        nib.Nifti1Image(part, bold.affine, bold.header).to_filename(paths["bold"])
    return paths


# ----------------------------------------------------------------------------- children
def child(side: str, kind: str, roi: str, bold: str, out: str) -> dict:
    """Run one masker in this (fresh) process; return the call's time."""
    import warnings

    warnings.simplefilter("ignore")
    if side == "nilearn":
        import nilearn.maskers as module
    else:
        import niimasker_core as module
    if kind == "labels":
        masker = module.NiftiLabelsMasker(roi, resampling_target="labels")
    elif kind == "maps":
        masker = module.NiftiMapsMasker(roi, resampling_target="maps")
    elif kind == "voxels":
        target = np.diag([FINE_MM] * 3)
        masker = module.NiftiMasker(mask_img=roi, target_affine=target)
    else:
        raise SystemExit(f"unknown case {kind}")
    started = time.perf_counter()
    signals = masker.fit_transform(bold)
    done = time.perf_counter()
    np.save(out, np.asarray(signals))
    return {"call_s": done - started}


# ----------------------------------------------------------------------------- cases
def case(kind: str, roi: Path, bold: Path, work: Path, repeat: int) -> dict:
    """Time both sides ``repeat`` times, interleaved; compare their signals."""
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    outs = {side: work / f"{kind}_{side}.npy" for side in ("nilearn", "ours")}
    runs: dict[str, list[dict]] = {"nilearn": [], "ours": []}
    for _ in range(repeat):
        for side in ("ours", "nilearn"):
            argv = [*me, side, kind, str(roi), str(bold), str(outs[side])]
            runs[side].append(run_child(argv))
    theirs, ours = np.load(outs["nilearn"]), np.load(outs["ours"])
    scale = float(np.abs(theirs).max())
    best = {
        side: {
            "call_s": min(r["call_s"] for r in got),
            "process_s": min(r["process_s"] for r in got),
            "peak_mib": max(r["peak_mib"] for r in got),
            "cpu_s": min(r["cpu_s"] for r in got),
        }
        for side, got in runs.items()
    }
    return {
        "case": kind,
        "columns": int(theirs.shape[1]),
        "volumes": int(theirs.shape[0]),
        "nilearn": best["nilearn"],
        "ours": best["ours"],
        "speedup": best["nilearn"]["call_s"] / best["ours"]["call_s"],
        "max_rel_diff": float(np.abs(ours - theirs).max()) / scale,
        "same_shape": ours.shape == theirs.shape,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| case | columns x volumes | nilearn call | niimasker call | speed-up "
        "| nilearn peak RSS | niimasker peak RSS | max diff / max value "
        "| process CPU, nilearn / niimasker |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['columns']} x {r['volumes']} "
            f"| {r['nilearn']['call_s']:.2f} s | {r['ours']['call_s']:.2f} s "
            f"| **{r['speedup']:.1f}x** | {r['nilearn']['peak_mib'] / 1024:.2f} GiB "
            f"| {r['ours']['peak_mib'] / 1024:.2f} GiB | {r['max_rel_diff']:.1e} "
            f"| {r['nilearn']['cpu_s']:.1f} / {r['ours']['cpu_s']:.1f} s "
            f"({r['nilearn']['cpu_s'] / r['ours']['cpu_s']:.1f}x) |"
        )
    return "\n".join(lines)


def goals(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        fast = r["speedup"] >= GOAL
        equal = r["same_shape"] and r["max_rel_diff"] <= 1e-6
        out.append(
            f"{r['case']}: >= {GOAL:g}x nilearn {'PASS' if fast else 'FAIL'} "
            f"({r['speedup']:.1f}x); equal to 1e-6 relative "
            f"{'PASS' if equal else 'FAIL'} ({r['max_rel_diff']:.1e})"
        )
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:7])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--make":
        data, work, n_volumes, n_maps = sys.argv[2:6]
        paths = make_data(Path(data), Path(work), int(n_volumes), int(n_maps))
        print(json.dumps({k: str(v) for k, v in paths.items()}))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--work", default=str(HERE / "data" / "resampling"))
    parser.add_argument("--volumes", type=int, default=300)
    parser.add_argument("--maps", type=int, default=32, help="number of maps")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side")
    parser.add_argument("--skip", nargs="*", default=[], help="cases to skip")
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    args = parser.parse_args()
    # made in a child: the children timed after it would inherit its peak RSS
    made = subprocess.run(
        [sys.executable, __file__, "--make", args.data, args.work]
        + [str(args.volumes), str(args.maps)],
        check=True,
        capture_output=True,
        text=True,
    )
    paths = {k: Path(v) for k, v in json.loads(made.stdout.splitlines()[-1]).items()}
    rois = {"labels": paths["atlas"], "maps": paths["maps"], "voxels": paths["mask"]}
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("labels", "maps", "voxels"):
            if kind not in args.skip:
                rows.append(
                    case(kind, rois[kind], paths["bold"], Path(tmp), args.repeat)
                )
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    load_after = os.getloadavg()
    print()
    print(table(rows))
    print()
    print("\n".join(goals(rows)))
    print(
        f"\nload average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
        f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/"
        f"{load_after[2]:.2f}; {os.cpu_count()} CPUs"
    )
    print(versions())
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
