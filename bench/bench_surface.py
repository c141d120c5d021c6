"""Surface region means: niimasker against nilearn (GIFTI) and Workbench (CIFTI).

Data, made once in DIR (seeded):

- **GIFTI**: an fsaverage5 run as fMRIPrep writes it, two files of 10242
  vertices x N volumes (float32, one GZipBase64Binary DataArray per volume),
  and a 400-region atlas pair (``.label.gii``; 200 keys per side, 0 on a
  medial wall). Compared with nilearn 0.14's ``SurfaceLabelsMasker`` on a
  ``SurfaceImage`` of both files (fsaverage5's bundled mesh).
- **CIFTI**: a 91282-grayordinate ``.dtseries.nii`` (fsLR 32k cortices
  without the medial wall, 31870 subcortical voxels), float32, and a
  400-region ``.dlabel.nii``. Compared with ``wb_command -cifti-parcellate``
  (nilearn reads no CIFTI).

Settings on both sides: the region means only (no cleaning), so the work
compared is reading and reducing. Each measurement is a fresh child process,
best of ``--repeat``: "call" is the extraction call (imports excluded),
"process" the whole child, with its peak RSS (``os.wait4``); nilearn's child
loads the mesh, builds both ``SurfaceImage``s, extracts and writes the table;
the ``niimasker`` command writes its table, sidecar, coverage, record and
report. The data are made in a child too (the children would inherit a large
parent's peak RSS). Outputs are compared (max abs difference) with the first
tool of each case.

Usage: python bench/bench_surface.py DIR [--gifti-volumes 650]
[--cifti-volumes 1200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_labels import run_child

N_REGIONS = 400


def make_gifti(folder: Path, n_volumes: int) -> dict[str, str]:
    import nibabel as nib

    rng = np.random.default_rng(5)
    paths = {}
    for side, structure in (("L", "CortexLeft"), ("R", "CortexRight")):
        stem = f"sub-bench_task-rest_hemi-{side}_space-fsaverage5_run-{n_volumes}_bold"
        bold = folder / f"{stem}.func.gii"
        atlas = folder / f"hemi-{side}_atlas-Yeo7_dseg.label.gii"
        paths[f"bold_{side}"], paths[f"atlas_{side}"] = str(bold), str(atlas)
        if bold.exists() and atlas.exists():
            continue
        n = 10242
        # Yeo's 7 networks: the same keys and names on both hemispheres
        keys = rng.integers(1, 8, n).astype(np.int32)
        keys[: n // 12] = 0
        table = nib.gifti.GiftiLabelTable()
        for key in range(8):
            label = nib.gifti.GiftiLabel(key, 0.5, 0.5, 0.5, 1.0)
            label.label = "Medial_Wall" if key == 0 else f"7Networks_{key}"
            table.labels.append(label)
        meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": structure})
        nib.save(
            nib.gifti.GiftiImage(
                darrays=[nib.gifti.GiftiDataArray(keys, intent="NIFTI_INTENT_LABEL")],
                labeltable=table,
                meta=meta,
            ),
            str(atlas),
        )
        base = 800 + 100 * rng.random(n)
        walk = rng.normal(0, 1, (n_volumes, n)).cumsum(axis=0)
        data = (base + walk).astype(np.float32)
        step = nib.gifti.GiftiMetaData({"TimeStep": "2000.000000"})
        arrays = [
            nib.gifti.GiftiDataArray(
                row,
                intent="NIFTI_INTENT_TIME_SERIES",
                datatype="NIFTI_TYPE_FLOAT32",
                meta=step,
            )
            for row in data
        ]
        nib.save(nib.gifti.GiftiImage(darrays=arrays, meta=meta), str(bold))
    return paths


def make_cifti(folder: Path, n_volumes: int) -> dict[str, str]:
    import nibabel as nib
    from nibabel.cifti2 import cifti2_axes

    bold = (
        folder
        / f"sub-bench_task-rest_space-fsLR_den-91k_run-{n_volumes}_bold.dtseries.nii"
    )
    atlas = folder / "atlas-bench400_dseg.dlabel.nii"
    if bold.exists() and atlas.exists():
        return {"bold": str(bold), "atlas": str(atlas)}
    rng = np.random.default_rng(6)
    models = None
    for name, kept in (("CortexLeft", 29696), ("CortexRight", 29716)):
        mask = np.zeros(32492, bool)
        mask[rng.choice(32492, kept, replace=False)] = True
        axis = cifti2_axes.BrainModelAxis.from_mask(mask, name=name)
        models = axis if models is None else models + axis
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-90, -126, -72]
    volume = np.zeros((91, 109, 91), bool)
    volume.ravel()[
        rng.choice(volume.size // 3, 31870, replace=False) + volume.size // 3
    ] = True
    models = models + cifti2_axes.BrainModelAxis.from_mask(
        volume, name="brain_stem", affine=affine
    )
    n = len(models)
    keys = rng.integers(1, N_REGIONS + 1, n).astype(np.float32)
    table = {0: ("???", (0, 0, 0, 0))} | {
        k: (f"region{k:03d}", (0.5, 0.5, 0.5, 1.0)) for k in range(1, N_REGIONS + 1)
    }
    nib.Cifti2Image(
        keys[None, :], header=(cifti2_axes.LabelAxis(["bench"], [table]), models)
    ).to_filename(str(atlas))
    series = cifti2_axes.SeriesAxis(0, 2.0, n_volumes, unit="SECOND")
    data = np.empty((n_volumes, n), np.float32)
    for start in range(0, n, 8192):  # in pieces, to keep the maker light
        stop = min(start + 8192, n)
        data[:, start:stop] = 800 + rng.normal(0, 1, (n_volumes, stop - start)).cumsum(
            0
        )
    nib.Cifti2Image(data, header=(series, models)).to_filename(str(bold))
    return {"bold": str(bold), "atlas": str(atlas)}


# ----------------------------------------------------------------------------- children
def child(kind: str, paths: dict[str, str], out: str) -> dict:
    started = time.perf_counter()
    if kind == "nilearn":
        from nilearn.datasets import load_fsaverage
        from nilearn.maskers import SurfaceLabelsMasker
        from nilearn.surface import SurfaceImage

        mesh = load_fsaverage("fsaverage5")["pial"]
        imported = time.perf_counter()
        image = SurfaceImage(
            mesh=mesh, data={"left": paths["bold_L"], "right": paths["bold_R"]}
        )
        labels = SurfaceImage(
            mesh=mesh, data={"left": paths["atlas_L"], "right": paths["atlas_R"]}
        )
        signals = SurfaceLabelsMasker(labels_img=labels).fit_transform(image)
        np.savetxt(out + ".tsv", signals, delimiter="\t", fmt="%.8g")
    else:
        import scipy.sparse  # noqa: F401  (the group means use it)

        from niimasker_core.faces.api import extract_timeseries

        imported = time.perf_counter()
        if kind == "ours_gifti":
            files, atlas = [paths["bold_L"], paths["bold_R"]], paths["atlas_L"]
        else:
            files, atlas = [paths["bold"]], paths["atlas"]
        result = extract_timeseries(files, atlas, t_r=2.0)
        signals = result.timeseries[0].data.to_numpy()
    done = time.perf_counter()
    np.save(out, signals)
    return {"import_s": imported - started, "call_s": done - imported}


def best(runs: list[dict]) -> dict:
    return {
        key: min(r[key] for r in runs if key in r)
        for key in runs[0]
        if isinstance(runs[0][key], float)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--gifti-volumes", type=int, default=650)
    parser.add_argument("--cifti-volumes", type=int, default=1200)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, paths, out = args.child
        print(json.dumps(child(kind, json.loads(paths), out)))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.make:  # in a child: the parent stays small, its children inherit its RSS
        gifti = make_gifti(args.folder, args.gifti_volumes)
        cifti = make_cifti(args.folder, args.cifti_volumes)
        print(json.dumps({"gifti": gifti, "cifti": cifti}))
        return
    made = subprocess.run(
        [sys.executable, __file__, str(args.folder), "--make"]
        + [
            f"--gifti-volumes={args.gifti_volumes}",
            f"--cifti-volumes={args.cifti_volumes}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    paths = json.loads(made.stdout.strip().splitlines()[-1])
    gifti, cifti = paths["gifti"], paths["cifti"]
    wb = shutil.which("wb_command")
    command = str(Path(sys.executable).with_name("niimasker"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        me = [sys.executable, __file__, str(args.folder)]

        def child_side(kind: str, paths: dict) -> tuple[dict, np.ndarray]:
            out = f"{tmp}/{kind}.npy"
            argv = [*me, "--child", kind, json.dumps(paths), out]
            runs = [run_child(argv) for _ in range(args.repeat)]
            return best(runs), np.load(out)

        def command_side(
            files: list[str], atlas: str, name: str
        ) -> tuple[dict, np.ndarray]:
            out = Path(tmp) / f"command_{name}"
            argv = [command, str(out), "-i", *files, "-r", atlas, "--overwrite"]
            runs = [run_child(argv) for _ in range(args.repeat)]
            table = next(out.glob("*_timeseries.tsv"))
            return best(runs), np.loadtxt(table, skiprows=1, ndmin=2)

        def wb_side() -> tuple[dict, np.ndarray]:
            import nibabel as nib

            out = f"{tmp}/wb.ptseries.nii"
            argv = [
                wb,
                "-cifti-parcellate",
                cifti["bold"],
                cifti["atlas"],
                "COLUMN",
                out,
            ]
            runs = [run_child(argv) for _ in range(args.repeat)]
            return best(runs), np.asarray(nib.load(out).get_fdata())

        files = [gifti["bold_L"], gifti["bold_R"]]
        cases = {
            f"GIFTI fsaverage5 pair, {args.gifti_volumes} volumes, 7 networks": {
                "nilearn SurfaceLabelsMasker (+ table)": child_side("nilearn", gifti),
                "niimasker call": child_side("ours_gifti", gifti),
                "niimasker command": command_side(files, gifti["atlas_L"], "gifti"),
            },
            f"CIFTI fsLR 91k, {args.cifti_volumes} volumes, 400 parcels": {
                **({"wb_command -cifti-parcellate": wb_side()} if wb else {}),
                "niimasker call": child_side("ours_cifti", cifti),
                "niimasker command": command_side(
                    [cifti["bold"]], cifti["atlas"], "cifti"
                ),
            },
        }
        for case, measured in cases.items():
            reference = next(iter(measured.values()))
            for name, (times, values) in measured.items():
                rows.append(
                    {
                        "case": case,
                        "tool": name,
                        "call_s": times.get("call_s"),
                        "process_s": times["process_s"],
                        "peak_mib": times["peak_mib"],
                        "max_abs_diff": float(np.abs(values - reference[1]).max()),
                        "ratio_process": reference[0]["process_s"] / times["process_s"],
                        "ratio_call": (
                            reference[0]["call_s"] / times["call_s"]
                            if reference[0].get("call_s") and times.get("call_s")
                            else None
                        ),
                    }
                )
    print(f"best of {args.repeat}; load {os.getloadavg()[0]:.2f}")
    print(
        "| case | tool | call s | process s | peak MiB | x faster (call / process) | max abs diff |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        call = "" if r["call_s"] is None else f"{r['call_s']:.2f}"
        ratio = (
            f"{r['ratio_call']:.1f} / {r['ratio_process']:.1f}"
            if r["ratio_call"]
            else ("" if r["ratio_process"] is None else f"- / {r['ratio_process']:.1f}")
        )
        print(
            f"| {r['case']} | {r['tool']} | {call} | {r['process_s']:.2f} | "
            f"{r['peak_mib']:.0f} | {ratio} | {r['max_abs_diff']:.2g} |"
        )


if __name__ == "__main__":
    main()
