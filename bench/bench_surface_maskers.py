"""Benchmark the surface drop-ins against nilearn's surface maskers, in one run.

Usage::

    python bench/bench_surface_maskers.py [--volumes N] [--repeat N] [--out FILE]

An fsaverage5 image (nilearn's bundled mesh, 10242 vertices per hemisphere),
``--volumes`` float32 samples (default 300), held in memory as a
``SurfaceImage``; a 200-region parcellation (contiguous vertex blocks) and 20
overlapping maps. Each masker, ours and nilearn's, runs
``fit_transform(img)`` with the same arguments, raw (``standardize=None``)
and cleaned (``detrend=True``, ``standardize='zscore_sample'``,
``high_pass=0.01``, ``t_r=2``); the best of ``--repeat`` interleaved runs
is kept (other work on a shared machine only adds time). Outputs are checked
equal (1e-6) before timing counts.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

CLEANED = {
    "detrend": True,
    "standardize": "zscore_sample",
    "high_pass": 0.01,
    "t_r": 2.0,
}


def make_inputs(n_volumes: int):
    """Return the fsaverage5 image, a parcellation and maps (nilearn SurfaceImages)."""
    from nilearn.datasets import load_fsaverage
    from nilearn.surface import SurfaceImage

    mesh = load_fsaverage("fsaverage5")["pial"]
    rng = np.random.default_rng(0)
    sizes = {part: mesh.parts[part].n_vertices for part in mesh.parts}
    img = SurfaceImage(
        mesh,
        {
            part: (800 + rng.normal(0, 1, (n, n_volumes)).cumsum(1)).astype(np.float32)
            for part, n in sizes.items()
        },
    )
    labels = {
        part: (np.arange(n) * 100 // n + 1 + 100 * i).astype(np.int32)
        for i, (part, n) in enumerate(sizes.items())
    }
    maps = {}
    for part, n in sizes.items():
        values = rng.random((n, 20))
        values[values < 0.8] = 0
        maps[part] = values
    return img, SurfaceImage(mesh, labels), SurfaceImage(mesh, maps)


def time_pair(name: str, kwargs: dict, img, repeat: int) -> dict:
    """Return the best seconds of ours and nilearn's ``fit_transform(img)``."""
    import nilearn.maskers as nl

    import niimasker_core.maskers as ours

    best = {"nilearn": np.inf, "niimasker": np.inf}
    outputs = {}
    for _ in range(repeat):
        for side, module in (("nilearn", nl), ("niimasker", ours)):
            masker = getattr(module, name)(**kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                started = time.perf_counter()
                outputs[side] = masker.fit_transform(img)
                best[side] = min(best[side], time.perf_counter() - started)
    np.testing.assert_allclose(
        outputs["niimasker"],
        outputs["nilearn"],
        rtol=1e-5,
        atol=1e-5 * max(float(np.abs(outputs["nilearn"]).max()), 1.0),
    )
    best["ratio"] = best["nilearn"] / best["niimasker"]
    return best


def main() -> None:
    """Run every masker, raw and cleaned, and print (or write) the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volumes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    img, labels, maps = make_inputs(args.volumes)
    rows = {}
    for name, atlas in (
        ("SurfaceMasker", {}),
        ("SurfaceLabelsMasker", {"labels_img": labels}),
        ("SurfaceMapsMasker", {"maps_img": maps}),
    ):
        for cleaning, extra in (("raw", {"standardize": None}), ("cleaned", CLEANED)):
            row = time_pair(name, {**atlas, **extra}, img, args.repeat)
            rows[f"{name} {cleaning}"] = row
            print(
                f"{name:22s} {cleaning:8s} nilearn {row['nilearn']:.3f} s  "
                f"niimasker {row['niimasker']:.3f} s  {row['ratio']:.1f}x",
                flush=True,
            )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
