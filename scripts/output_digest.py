"""Digest every output niimasker makes for a fixed set of jobs, to show a change keeps them.

A refactor that must not change behaviour ("One house", issue 17) is checked by
running this before and after it and comparing: every file the command writes
(tables, sidecars, coverage, derived images, ``parameters.json`` and
``report.html``) and every array the Python API and the drop-in maskers return
is hashed (SHA-256). Only what changes from run to run is left out: the time a
report was written and the seconds each image took.

It uses the public faces only (the ``niimasker`` command, ``niimasker_core``'s
top-level names), so the same script runs on both sides of a move. Inputs are
made once in ``WORKDIR/inputs`` and reused (their paths and modification times
enter each output's fingerprint); outputs go to ``WORKDIR/out``.

Usage::

    python scripts/output_digest.py WORKDIR [--bench DIR] > before.json
    python scripts/output_digest.py WORKDIR [--bench DIR] > after.json
    python scripts/output_digest.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXTDATA = ROOT / "inst" / "extdata"
BOLD = "inst/extdata/fmriprep/sub-*/func/*_desc-preproc_bold.nii.gz"
CONFOUNDS = "inst/extdata/fmriprep/sub-*/func/*_desc-confounds_timeseries.tsv"
ATLAS = "inst/extdata/atlas-synthetic12_dseg.nii.gz"
LABELS = "inst/extdata/atlas-synthetic12_dseg.tsv"
MASK = "inst/extdata/fmriprep/sub-01/func/sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz"
FIRST = "inst/extdata/fmriprep/sub-01/func/sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz"
FIRST_CONFOUNDS = (
    "inst/extdata/fmriprep/sub-01/func/sub-01_task-rest_desc-confounds_timeseries.tsv"
)
CLEAN = ["--t_r", "2", "--high_pass", "0.01", "--detrend", "--standardize"]


def make_inputs(folder: Path) -> dict[str, str]:
    """Write the derived inputs once (coordinates, maps on another grid, a config)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "coords": folder / "seeds.tsv",
        "maps": folder / "maps-3mm.nii.gz",
        "config": folder / "config.json",
    }
    if all(p.exists() for p in paths.values()):
        return {k: str(v) for k, v in paths.items()}
    atlas = nib.load(ROOT / ATLAS)
    data = np.asanyarray(atlas.dataobj).astype(int)
    ijk = [np.argwhere(data == k).mean(axis=0) for k in range(1, 7)]
    xyz = [atlas.affine[:3, :3] @ p + atlas.affine[:3, 3] for p in ijk]
    pd.DataFrame(np.round(xyz, 1), columns=["x", "y", "z"]).assign(
        name=[f"seed{i}" for i in range(1, 7)]
    ).to_csv(paths["coords"], sep="\t", index=False)
    from scipy.ndimage import gaussian_filter

    maps = np.stack(
        [gaussian_filter((data == k).astype(np.float32), 1.0) for k in range(1, 9)],
        axis=-1,
    )
    affine = atlas.affine.copy()
    nib.Nifti1Image(maps.astype(np.float32), affine).to_filename(paths["maps"])
    config = {
        "input_files": [str(ROOT / FIRST)],
        "roi_file": str(ROOT / ATLAS),
        "labels": str(ROOT / LABELS),
        "regressor_files": [str(ROOT / FIRST_CONFOUNDS)],
        "regressors": ["Params24"],
        "t_r": 2,
        "low_pass": 0.1,
        "standardize": "zscore_sample",
        "discard_scans": 2,
    }
    paths["config"].write_text(json.dumps(config, indent=2))
    return {k: str(v) for k, v in paths.items()}


def command_jobs(inputs: dict[str, str]) -> dict[str, list[str]]:
    """Return the command lines to run, by job name (outputs go to out/<name>)."""
    confounds = ["--regressor_files", CONFOUNDS]
    return {
        "labels": ["-i", BOLD, "-r", ATLAS, "--labels", LABELS, *confounds,
                   "--regressors", "Params6", *CLEAN],
        "labels_median_smooth": ["-i", BOLD, "-r", ATLAS, "--strategy", "median",
                                 "--smoothing_fwhm", "6", "-m", MASK],
        "spheres": ["-i", BOLD, "-r", inputs["coords"], "--radius", "6", "-m", MASK,
                    *confounds, "--regressors", "simple", "--t_r", "2",
                    "--standardize", "zscore_sample"],
        "spheres_voxels": ["-i", FIRST, "-r", inputs["coords"], "--radius", "5",
                           "--as_voxels", "--allow_overlap"],
        "maps": ["-i", BOLD, "-r", inputs["maps"], *confounds, "--regressors",
                 "compcor", "--compcor", "temporal", "--n_compcor", "2",
                 "--t_r", "2", "--low_pass", "0.1"],
        "as_voxels": ["-i", FIRST, "-r", ATLAS, "--as_voxels", "--detrend"],
        "voxels_nifti": ["-i", BOLD, "-m", MASK, *confounds, "--regressors",
                         "Params9", *CLEAN],
        "voxels_npy": ["-i", FIRST, "-m", MASK, "--output_format", "npy",
                       "--smoothing_fwhm", "5", "--standardize", "zscore_sample"],
        "voxels_tsv_epi": ["-i", FIRST, "--mask_strategy", "epi", "--output_format",
                           "tsv", "--target_affine", "5"],
        "roi_sets": ["-i", BOLD, "-r", f"a={ATLAS}", "-r", f"s={inputs['coords']}",
                     "--labels", f"a={LABELS}", "-m", f"s={MASK}", *confounds,
                     "--regressors", "Params6", "--t_r", "2"],
        "scrubbing": ["-i", BOLD, "-r", ATLAS, *confounds, "--regressors",
                      "scrubbing", "--fd_threshold", "0.3", "--std_dvars_threshold",
                      "2", "--output_volumes", "interpolated", *CLEAN],
        "psc_auto": ["-i", BOLD, "-r", ATLAS, *confounds, "--regressors",
                     "trans_*", "rot_?", "--discard_scans", "auto",
                     "--standardize", "psc", "--nan_policy", "omit"],
        "config": ["-c", inputs["config"]],
    }  # fmt: skip


def run_command(name: str, args: list[str], out: Path, niimasker: str) -> None:
    target = out / name
    if target.exists():
        shutil.rmtree(target)
    done = subprocess.run(
        [niimasker, str(target), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    (out / f"{name}.stderr").write_text(done.stderr)
    if done.returncode != 0:
        sys.stderr.write(f"{name}: exit {done.returncode}\n{done.stderr}\n")


def normalised(path: Path) -> bytes:
    """Return a file's bytes without what changes from run to run."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):  # the gzip header holds the time it was written
        return gzip.decompress(data)
    if path.suffix == ".stderr":  # the command's messages, without its timings
        return re.sub(rb"in \d+\.\d s", b"in - s", data)
    if path.name == "report.html":
        text = data.decode()
        text = re.sub(r"written \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "written -", text)
        return text.encode()
    if path.name.startswith("parameters") and path.suffix == ".json":
        record = json.loads(data)
        for run in record.get("runs", []):
            run.pop("seconds", None)
        return json.dumps(record, sort_keys=True).encode()
    return data


def digest_folder(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(normalised(p)).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def array_digest(values) -> str:
    array = np.ascontiguousarray(np.asarray(values))
    return f"{array.dtype}{array.shape}:" + hashlib.sha256(array.tobytes()).hexdigest()


def python_jobs(inputs: dict[str, str]) -> dict[str, str]:
    """Hash what the Python API and the drop-in maskers return."""
    import niimasker_core as nm

    first, atlas, mask = str(ROOT / FIRST), str(ROOT / ATLAS), str(ROOT / MASK)
    confounds = pd.read_csv(ROOT / FIRST_CONFOUNDS, sep="\t")
    motion = confounds[
        [c for c in confounds.columns if c.startswith(("trans_", "rot_"))]
    ].fillna(0.0)
    clean = {"t_r": 2.0, "detrend": True, "standardize": "zscore_sample"}
    out = {}
    result = nm.extract_timeseries(
        str(ROOT / BOLD), atlas, labels=str(ROOT / LABELS), t_r=2, detrend=True
    )
    for i, item in enumerate(result):
        out[f"api/extract_timeseries/{i}/values"] = array_digest(item.to_numpy())
        out[f"api/extract_timeseries/{i}/columns"] = ",".join(item.columns)
        out[f"api/extract_timeseries/{i}/volumes"] = array_digest(item.volumes)
    voxels = nm.extract_timeseries(first, mask_img=mask, high_pass=0.01, t_r=2)
    out["api/voxels/values"] = array_digest(voxels[0].to_numpy())
    maskers = {
        "NiftiLabelsMasker": nm.NiftiLabelsMasker(atlas, **clean),
        "NiftiMasker": nm.NiftiMasker(mask, smoothing_fwhm=4, **clean),
        "NiftiMasker_epi": nm.NiftiMasker(mask_strategy="epi", high_pass=0.01, t_r=2),
        "NiftiSpheresMasker": nm.NiftiSpheresMasker(
            pd.read_csv(inputs["coords"], sep="\t")[["x", "y", "z"]].to_numpy(),
            radius=6,
            mask_img=mask,
            **clean,
        ),
        "NiftiMapsMasker": nm.NiftiMapsMasker(inputs["maps"], **clean),
    }
    for name, masker in maskers.items():
        values = masker.fit_transform(first, confounds=motion.to_numpy())
        out[f"maskers/{name}"] = array_digest(values)
        if hasattr(masker, "inverse_transform"):
            img = masker.inverse_transform(values[:3])
            out[f"maskers/{name}/inverse"] = array_digest(np.asanyarray(img.dataobj))
    multi = nm.MultiNiftiLabelsMasker(atlas, n_jobs=1, **clean)
    for i, values in enumerate(multi.fit_transform(sorted(map(str, ROOT.glob(BOLD))))):
        out[f"maskers/MultiNiftiLabelsMasker/{i}"] = array_digest(values)
    return out


def bench_job(bench: Path, out: Path, niimasker: str) -> None:
    image = sorted(bench.glob("*_bold.nii.gz"))[0]
    atlas = sorted(bench.glob("atlas-*_dseg.nii.gz"))[0]
    confounds = sorted(bench.glob("*_desc-confounds_timeseries.tsv"))[0]
    motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    regressors = [f"{m}{s}" for m in motion for s in
                  ("", "_derivative1", "_power2", "_derivative1_power2")]  # fmt: skip
    run_command(
        "bench_labels",
        ["-i", str(image), "-r", str(atlas), "--regressor_files", str(confounds),
         "--regressors", *regressors, "--standardize", "zscore_sample", "--detrend",
         "--high_pass", "0.01", "--t_r", "2"],
        out, niimasker,
    )  # fmt: skip


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    changed = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    only = sorted(a.keys() ^ b.keys())
    for key in changed:
        print(f"changed: {key}")
    for key in only:
        print(f"only in {'before' if key in a else 'after'}: {key}")
    same = len(a.keys() & b.keys()) - len(changed)
    print(f"{same} identical, {len(changed)} changed, {len(only)} in one side only")
    return 1 if changed or only else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", nargs="?")
    parser.add_argument("--bench", help="bench/make_data.py folder (one image)")
    parser.add_argument(
        "--niimasker", default=str(Path(sys.executable).with_name("niimasker"))
    )
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.compare[0]), Path(args.compare[1]))
    work = Path(args.workdir).resolve()
    inputs = make_inputs(work / "inputs")
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    for name, job in command_jobs(inputs).items():
        run_command(name, job, out, args.niimasker)
    if args.bench:
        bench_job(Path(args.bench).resolve(), out, args.niimasker)
    digests = {f"command/{k}": v for k, v in digest_folder(out).items()}
    digests.update(python_jobs(inputs))
    json.dump(digests, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
