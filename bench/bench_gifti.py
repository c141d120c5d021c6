"""Read an fsaverage5 GIFTI pair with nibabel and with niimasker's GIFTI reader.

    python bench/bench_gifti.py DIR [--frames 650] [--repeat 3] [--threads 2]

Makes once, under DIR, a left and a right ``*_bold.func.gii`` of 10242
vertices and ``--frames`` frames (float32, one DataArray per frame,
GZipBase64Binary, ``TimeStep`` and ``AnatomicalStructurePrimary`` metadata),
written by nibabel as fMRIPrep's files are. Then each reader reads the pair in
a fresh process, in turn, ``--repeat`` times:

- **nibabel**: ``np.stack([d.data for d in nib.load(path).darrays])``, which is
  what nilearn's ``load_surf_data`` does (before transposing);
- **niimasker**: ``read_gifti_arrays(path).data``.

"read" is the two reads alone (imports excluded), "process" the whole child
process; the best of each is kept (other work only ever adds time) and the
peak RSS is the smallest ``ru_maxrss`` of the child (``os.wait4``), next to
that of a child that imports the same and reads nothing. Both
readers' arrays are saved by the first run and compared value for value and
dtype for dtype. Prints a markdown table and the ratio against the goal (5x).
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

N_VERTICES = 10242  # fsaverage5, per hemisphere
GOAL = 5.0
KEYS = ("read", "process", "rss_mib", "imports_mib")

CHILD = r"""
import json, sys, time
import numpy as np
side, save, threads, *paths = sys.argv[1:]
if side == "nibabel":
    import nibabel as nib
    def read(path):
        return np.stack([d.data for d in nib.load(path).darrays])
else:
    from niimasker_core.domains.surface.gifti_io import read_gifti_arrays
    def read(path):
        return read_gifti_arrays(path, n_threads=int(threads)).data
start = time.perf_counter()
arrays = [read(path) for path in paths]
seconds = time.perf_counter() - start
if save != "-":
    for i, array in enumerate(arrays):
        np.save(f"{save}_{i}.npy", array)
print(json.dumps({"read": seconds}))
"""


def make_pair(folder: Path, n_frames: int) -> list[Path]:
    """Write (once) a seeded fsaverage5-sized pair, BOLD-like float32 values."""
    import nibabel as nib
    from nibabel.gifti import GiftiDataArray, GiftiImage, GiftiMetaData

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(0)
    for hemi, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        path = folder / (f"sub-01_task-rest_hemi-{hemi}_space-fsaverage5_bold.func.gii")
        paths.append(path)
        if path.exists():
            continue
        mean = rng.uniform(200, 1200, N_VERTICES).astype(np.float32)
        noise = rng.standard_normal((n_frames, N_VERTICES)).astype(np.float32)
        frames = mean * (1 + 0.01 * noise)
        arrays = [
            GiftiDataArray(
                frame,
                intent="NIFTI_INTENT_TIME_SERIES",
                datatype="NIFTI_TYPE_FLOAT32",
                meta=GiftiMetaData({"TimeStep": "2000.000000"}),
            )
            for frame in frames
        ]
        meta = GiftiMetaData({"AnatomicalStructurePrimary": structure})
        image = GiftiImage(darrays=arrays, meta=meta)
        tmp = path.with_name(path.name + ".tmp")
        nib.save(image, tmp)
        tmp.replace(path)
    return paths


def run_child(side: str, paths: list[Path], save: str, threads: int) -> dict:
    """Run one reader in a fresh process; its read time, wall time and peak RSS."""
    env = dict(os.environ)
    core = str(Path(__file__).resolve().parents[1] / "inst" / "python")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [core, env.get("PYTHONPATH")]))
    args = [sys.executable, "-c", CHILD, side, save, str(threads), *map(str, paths)]
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, env=env)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{side} failed")
    result = json.loads(out)
    result.update(process=wall, rss_mib=usage.ru_maxrss / 1024)
    return result


def compare(saved: dict[str, str], n_files: int) -> str:
    for i in range(n_files):
        a = np.load(f"{saved['nibabel']}_{i}.npy")
        b = np.load(f"{saved['niimasker']}_{i}.npy")
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            return f"DIFFERENT (file {i}: {a.dtype}{a.shape} vs {b.dtype}{b.shape})"
    return "identical (values, shape, dtype)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where the pair is made once")
    parser.add_argument("--frames", type=int, default=650)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="niimasker's n_threads")
    args = parser.parse_args(argv)
    paths = make_pair(args.folder, args.frames)
    size = sum(p.stat().st_size for p in paths) / 2**20
    print(f"load average before: {os.getloadavg()}")
    runs: dict[str, list[dict]] = {"nibabel": [], "niimasker": []}
    with tempfile.TemporaryDirectory() as tmp:
        saved = {side: f"{tmp}/{side}" for side in runs}
        for repeat in range(args.repeat):
            for side in runs:
                save = saved[side] if repeat == 0 else "-"
                runs[side].append(run_child(side, paths, save, args.threads))
                imports = run_child(side, [], "-", args.threads)  # reads nothing
                runs[side][-1]["imports_mib"] = imports["rss_mib"]
        identity = compare(saved, len(paths))
    best = {
        side: {key: min(r[key] for r in rs) for key in KEYS}
        for side, rs in runs.items()
    }
    ratio = best["nibabel"]["read"] / best["niimasker"]["read"]
    print(f"load average after: {os.getloadavg()}")
    print(
        f"\nfsaverage5 pair: 2 x {N_VERTICES} vertices x {args.frames} frames, "
        f"float32, GZipBase64Binary, {size:.1f} MiB; best of {args.repeat}, "
        f"niimasker n_threads={args.threads}\n"
    )
    print(
        "| reader | read (s) | process (s) | peak RSS (MiB) | of which imports "
        "(MiB) | read ratio |"
    )
    print("|---|---|---|---|---|---|")
    for side, b in best.items():
        r = best["nibabel"]["read"] / b["read"]
        row = f"| {side} | {b['read']:.3f} | {b['process']:.3f} | {b['rss_mib']:.0f} |"
        print(f"{row} {b['imports_mib']:.0f} | {r:.1f}x |")
    verdict = "PASS" if ratio >= GOAL else "FAIL"
    print(f"\narrays: {identity}\ngoal: read >= {GOAL:.0f}x nibabel: {verdict}")
    import isal
    import nibabel

    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"nibabel {nibabel.__version__}, isal {isal.__version__}"
    )


if __name__ == "__main__":
    main()
