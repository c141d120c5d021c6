"""Benchmark connectivity: its cost on one image, and ``tangent`` over a batch.

Usage::

    python bench/bench_connectivity.py [--data /work/benchdata] [--volumes 300]
        [--images 100] [--regions 400] [--out results.json]

1. **One image.** The bench image (``bench/make_data.py``: MNI 2 mm grid, 400
   regions; ``--volumes`` picks ``sub-bench_task-rest_run-<volumes>_bold``,
   make a 1200-volume one with ``python bench/make_data.py DIR 1200``) is
   extracted with the labels bench's cleaning, with and without
   ``connectivity=['correlation']``, alternately, ``--repeats`` times each;
   the medians' difference over the time without is the added fraction. The
   correlation of a ``1200 x 400`` table is also timed alone, against the
   image's time scaled to 1200 volumes (reading and cleaning grow linearly
   with the volumes, as the correlation does), for images that are not 1200
   volumes long.
2. **Tangent.** ``--images`` tables of 1200 volumes x ``--regions`` regions
   (correlated random signals), in memory and written as TSV tables as the
   batch writes them; ``tangent`` over them as the batch's end computes it
   (from memory, and from the tables on disk), beside nilearn's
   ``ConnectivityMeasure(kind='tangent', cov_estimator=EmpiricalCovariance())``
   on the same tables (the ratio is what a loaded machine does not change
   much).

Every number is printed with the load average (``os.getloadavg``) taken
just before it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inst" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_labels import CONFOUNDS  # noqa: E402

from niimasker_core import extract_timeseries  # noqa: E402
from niimasker_core.batch.connectomes import add_tangents  # noqa: E402
from niimasker_core.batch.outcome import ImageResult  # noqa: E402
from niimasker_core.io.formats import sidecar_of, timeseries_name  # noqa: E402
from niimasker_core.io.writers import write_table  # noqa: E402
from niimasker_core.params.options import ConnectivityOptions  # noqa: E402
from niimasker_core.signal.connectivity import (  # noqa: E402
    image_connectomes,
)
from niimasker_core.signal.tangent import tangent_connectomes  # noqa: E402


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _image_seconds(data: Path, volumes: int, connectivity: list[str] | None) -> float:
    stem = f"sub-bench_task-rest_run-{volumes}"
    with tempfile.TemporaryDirectory() as out:
        result = extract_timeseries(
            [str(data / f"{stem}_bold.nii.gz")],
            str(data / "atlas-synthetic400_dseg.nii.gz"),
            out,
            regressor_files=[str(data / f"{stem}_desc-confounds_timeseries.tsv")],
            regressors=CONFOUNDS,
            detrend=True,
            high_pass=0.01,
            standardize="zscore_sample",
            t_r=2.0,
            connectivity=connectivity,
            report=False,
            overwrite=True,
        )
    return result.seconds


def _timed(spent: list, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    return wrapper


def bench_image(data: Path, volumes: int, repeats: int) -> dict:
    """Time one image with and without the correlation matrix, alternately.

    Inside each run with the matrix, the time of its own steps (computing it,
    writing it) is also summed: on a loaded machine the difference between
    two runs is mostly noise, that sum is not.
    """
    from niimasker_core.batch import image as image_module

    without, with_corr, own = [], [], []
    loads = []
    _image_seconds(data, volumes, None)  # warm the caches and imports
    compute, write = image_module.image_matrices, image_module.write_relmats
    for _ in range(repeats):
        loads.append(_load())
        without.append(_image_seconds(data, volumes, None))
        loads.append(_load())
        spent: list = []
        image_module.image_matrices = _timed(spent, compute)
        image_module.write_relmats = _timed(spent, write)
        try:
            with_corr.append(_image_seconds(data, volumes, ["correlation"]))
        finally:
            image_module.image_matrices, image_module.write_relmats = compute, write
        own.append(sum(spent) / (with_corr[-1] - sum(spent)))
    base, corr = statistics.median(without), statistics.median(with_corr)
    rng = np.random.default_rng(0)
    table = rng.standard_normal((1200, 400))
    loads.append(_load())
    alone = []
    for _ in range(5):
        started = time.perf_counter()
        image_connectomes(
            table, [str(i) for i in range(400)], ["correlation"], "empirical"
        )
        alone.append(time.perf_counter() - started)
    scaled = base * 1200 / volumes
    return {
        "volumes": volumes,
        "image_seconds_without": round(base, 3),
        "image_seconds_with_correlation": round(corr, 3),
        "added_fraction_between_runs": round((corr - base) / base, 4),
        "added_fraction_own_steps": round(statistics.median(own), 4),
        "correlation_1200x400_seconds": round(statistics.median(alone), 4),
        "image_seconds_scaled_to_1200_volumes": round(scaled, 3),
        "added_fraction_at_1200_volumes": round(statistics.median(alone) / scaled, 4),
        "load_average": loads,
    }


def bench_tangent(n_images: int, n_regions: int, n_volumes: int = 1200) -> dict:
    """Time tangent over ``n_images`` tables: from memory, from disk, and nilearn's."""
    from nilearn.connectome import ConnectivityMeasure
    from sklearn.covariance import EmpiricalCovariance

    rng = np.random.default_rng(1)
    mixing = np.eye(n_regions) + 0.05 * rng.standard_normal((n_regions, n_regions))
    tables = [
        rng.standard_normal((n_volumes, n_regions)) @ mixing for _ in range(n_images)
    ]
    names = [str(i) for i in range(n_regions)]
    out = {"images": n_images, "regions": n_regions, "volumes": n_volumes}
    out["load_memory"] = _load()
    started = time.perf_counter()
    ours = tangent_connectomes(tables, names, "empirical")
    out["tangent_seconds_memory"] = round(time.perf_counter() - started, 3)
    with tempfile.TemporaryDirectory() as folder:
        results = []
        for i, table in enumerate(tables):
            stem = f"sub-{i:03d}"
            target = Path(folder) / timeseries_name(stem)
            write_table(target, table, names)
            sidecar_of(target).write_text(json.dumps({"CensoredVolumes": []}))
            results.append(
                ImageResult(f"{stem}.nii.gz", stem, names, table, list(range(n_volumes)),
                            2.0, {"CensoredVolumes": []})
            )  # fmt: skip
        out["load_disk"] = _load()
        started = time.perf_counter()
        add_tangents(results, ConnectivityOptions(("tangent",)), folder, {None: "tsv"})
        out["tangent_seconds_disk_and_write"] = round(time.perf_counter() - started, 3)
    out["load_nilearn"] = _load()
    started = time.perf_counter()
    ref = ConnectivityMeasure(
        kind="tangent", cov_estimator=EmpiricalCovariance()
    ).fit_transform(tables)
    out["nilearn_seconds"] = round(time.perf_counter() - started, 3)
    out["ratio_ours_over_nilearn"] = round(
        out["tangent_seconds_memory"] / out["nilearn_seconds"], 3
    )
    worst = max(
        float(np.max(np.abs(m["tangent"].values - r) / np.abs(r)))
        for m, r in zip(ours, ref)
    )
    out["max_elementwise_relative_difference_to_nilearn"] = worst
    out["max_difference_over_max_value"] = max(
        float(np.max(np.abs(m["tangent"].values - r)) / np.max(np.abs(r)))
        for m, r in zip(ours, ref)
    )
    out["blas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/benchdata")
    parser.add_argument("--volumes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--regions", type=int, default=400)
    parser.add_argument("--skip-image", action="store_true")
    parser.add_argument("--skip-tangent", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args()
    results = {}
    if not args.skip_image:
        results["image"] = bench_image(Path(args.data), args.volumes, args.repeats)
        print(json.dumps(results["image"], indent=1), flush=True)
    if not args.skip_tangent:
        results["tangent"] = bench_tangent(args.images, args.regions)
        print(json.dumps(results["tangent"], indent=1), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
