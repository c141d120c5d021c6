"""Benchmark spheres and probabilistic maps against nilearn's maskers, in one run.

Usage::

    python bench/bench_rois.py [DATA_DIR] [--maps N_COMPARED (1000)] [--big-maps N_OURS_ONLY]

DATA_DIR holds the bench image made by ``bench/make_data.py`` (default
``/tmp/benchdata``). The script writes, once, ``bench_seeds.tsv`` (100
non-overlapping 6 mm spheres inside the brain) and ``bench_maps-<N>.nii.gz``
(N Gaussian probabilistic maps, overlapping), then runs each job in its own
child process (so peak memory, ``ru_maxrss``, is per job) and compares the
outputs. Cleaning in every job: ``standardize='zscore_sample', detrend=True,
high_pass=0.01, t_r=2``. nilearn runs as installed (default reports=True).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BOLD = "sub-bench_task-rest_run-300_bold.nii.gz"
MASK = "sub-bench_task-rest_run-300_desc-brain_mask.nii.gz"
CLEAN = {"standardize": "zscore_sample", "detrend": True, "high_pass": 0.01, "t_r": 2.0}


def make_seeds(data: Path, n: int = 100, radius: float = 6.0) -> Path:
    import nibabel as nib
    import pandas as pd

    path = data / "bench_seeds.tsv"
    if path.exists():
        return path
    mask = nib.load(data / MASK)
    inside = np.argwhere(np.asanyarray(mask.dataobj) > 0)
    world = nib.affines.apply_affine(mask.affine, inside)
    rng = np.random.default_rng(7)
    chosen: list[np.ndarray] = []
    for index in rng.permutation(len(world)):
        candidate = world[index] + rng.uniform(-0.9, 0.9, 3)  # off the voxel centres
        if all(np.linalg.norm(candidate - c) > 2 * radius + 3 for c in chosen):
            chosen.append(candidate)
        if len(chosen) == n:
            break
    table = pd.DataFrame(np.round(chosen, 2), columns=["x", "y", "z"])
    table.to_csv(path, sep="\t", index=False)
    return path


def make_maps(
    data: Path, n_maps: int, sigma_vox: float = 2.5, cutoff: float = 0.05
) -> Path:
    """Write N overlapping Gaussian maps, streamed volume by volume (gzip level 1)."""
    import nibabel as nib

    path = data / f"bench_maps-{n_maps}.nii.gz"
    if path.exists():
        return path
    mask_img = nib.load(data / MASK)
    mask = np.asanyarray(mask_img.dataobj) > 0
    shape = mask.shape
    inside = np.argwhere(mask)
    centres = inside[
        np.random.default_rng(11).choice(len(inside), n_maps, replace=False)
    ]
    header = nib.Nifti1Header()
    header.set_data_shape(shape + (n_maps,))
    header.set_data_dtype(np.float32)
    header.set_qform(mask_img.affine, code=1)
    header.set_sform(mask_img.affine, code=1)
    header.set_xyzt_units("mm")
    header["vox_offset"] = 352
    half = int(np.ceil(sigma_vox * np.sqrt(2 * np.log(1 / cutoff)))) + 1
    offsets = np.arange(-half, half + 1)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as stream:
        header.write_to(stream)
        stream.write(b"\0" * (352 - header.sizeof_hdr))  # empty extension block
        for centre in centres:
            volume = np.zeros(shape, np.float32)
            axes = [
                np.clip(c + offsets, 0, n - 1)
                for c, n in zip(centre, shape, strict=True)
            ]
            grid = np.meshgrid(*axes, indexing="ij")
            d2 = sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True))
            values = np.exp(-d2 / (2 * sigma_vox**2))
            values[values < cutoff] = 0
            volume[np.ix_(*axes)] = values * mask[np.ix_(*axes)]
            stream.write(volume.tobytes(order="F"))
    tmp.rename(path)
    return path


def child(job: str, roi: str, bold: str, out: str) -> None:
    """Run one job in this (child) process and print its time and peak memory."""
    import warnings

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if job.startswith("ours"):
        from niimasker_core.faces.api import extract_timeseries

        kwargs = {"radius": 6.0} if job == "ours_spheres" else {}
        result = extract_timeseries([bold], roi, **kwargs, **CLEAN)
        signals = result.timeseries[0].data.to_numpy()
    elif job == "nilearn_spheres":
        import pandas as pd
        from nilearn.maskers import NiftiSpheresMasker

        seeds = pd.read_csv(roi, sep="\t")[["x", "y", "z"]].to_numpy().tolist()
        signals = NiftiSpheresMasker(seeds, radius=6.0, **CLEAN).fit_transform(bold)
    elif job == "read_floor":  # inflating the image alone, nothing reduced
        from niimasker_core.domains.volume.nifti import read_image_info
        from niimasker_core.domains.volume.stream import iter_chunks

        started = time.perf_counter()  # the read alone: imports excluded
        for _ in iter_chunks(read_image_info(bold)):
            pass
        signals = np.zeros((1, 1))
    elif job == "nilearn_maps":
        from nilearn.maskers import NiftiMapsMasker

        signals = NiftiMapsMasker(roi, **CLEAN).fit_transform(bold)
    else:
        raise SystemExit(f"unknown job {job}")
    seconds = time.perf_counter() - started
    np.save(out, np.asarray(signals, dtype=np.float64))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak}))


def run(
    job: str, roi: Path, bold: Path, workdir: Path, limit_gib: float | None = None
) -> dict:
    out = workdir / f"{job}-{roi.stem}.npy"

    def limit() -> (
        None
    ):  # a MemoryError in the child, not the OOM killer on a shared box
        if limit_gib:
            size = int(limit_gib * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", job, str(roi), str(bold), str(out)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit,
    )
    if done.returncode:
        return {"job": job, "error": done.stderr.strip().splitlines()[-1]}
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    stats.update(
        job=job, process_seconds=time.perf_counter() - started, signals=np.load(out)
    )
    return stats


def report(title: str, ours: dict, theirs: dict | None) -> None:
    print(f"\n## {title}")
    print(f"{'job':<18}{'time (s)':>10}{'process (s)':>13}{'peak (MiB)':>12}")
    for stats in (ours, theirs):
        if stats is None:
            continue
        if "error" in stats:
            print(f"{stats['job']:<18} failed: {stats['error']}")
            continue
        print(
            f"{stats['job']:<18}{stats['seconds']:>10.2f}{stats['process_seconds']:>13.2f}"
            f"{stats['peak_mib']:>12.0f}"
        )
    if theirs is None or "error" in theirs or "error" in ours:
        return
    a, b = ours["signals"], theirs["signals"]
    print(
        f"speed-up {theirs['seconds'] / ours['seconds']:.1f}x (in-process), "
        f"{theirs['process_seconds'] / ours['process_seconds']:.1f}x (whole process); "
        f"memory {theirs['peak_mib'] / ours['peak_mib']:.1f}x less"
    )
    print(
        f"agreement: shape {a.shape} vs {b.shape}, max |diff| {np.abs(a - b).max():.3g}, "
        f"bit-identical {np.array_equal(a, b)}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="/tmp/benchdata")
    parser.add_argument(
        "--maps", type=int, default=1000, help="maps compared with nilearn"
    )
    parser.add_argument(
        "--big-maps", type=int, default=0, help="maps for ours only (0: skip)"
    )
    parser.add_argument("--skip-spheres", action="store_true")
    parser.add_argument(
        "--skip-nilearn-maps",
        action="store_true",
        help="time ours and the read floor only (nilearn's maps need ~14 GiB)",
    )
    parser.add_argument(
        "--limit-gib",
        type=float,
        default=16.0,
        help="address-space limit of each nilearn child process (GiB)",
    )
    args = parser.parse_args()
    data = Path(args.data)
    bold = data / BOLD
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        if not args.skip_spheres:
            seeds = make_seeds(data)
            ours = run("ours_spheres", seeds, bold, work)
            theirs = run("nilearn_spheres", seeds, bold, work, args.limit_gib)
            report("100 spheres, radius 6 mm", ours, theirs)
        if args.maps:
            maps = make_maps(data, args.maps)
            floor = run("read_floor", maps, bold, work)
            ours = run("ours_maps", maps, bold, work)
            theirs = (
                None
                if args.skip_nilearn_maps
                else run("nilearn_maps", maps, bold, work, args.limit_gib)
            )
            report(f"{args.maps} probabilistic maps", ours, theirs)
            if "error" not in floor and "error" not in ours:
                print(
                    f"read floor (inflating the image alone) {floor['seconds']:.2f} s: "
                    f"maps call {ours['seconds'] / floor['seconds']:.2f}x the floor "
                    "(goal <= 2x)"
                )
        if args.big_maps:
            maps = make_maps(data, args.big_maps)
            report(
                f"{args.big_maps} probabilistic maps (ours only)",
                run("ours_maps", maps, bold, work),
                None,
            )


if __name__ == "__main__":
    main()
