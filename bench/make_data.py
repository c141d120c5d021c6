"""Make the benchmark data: MNI 2 mm grid (91x109x91), float32, 400 regions, 24+ confounds.

Usage: python bench/make_data.py [OUT_DIR] [N_VOLUMES]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from synthetic_fmri import write_dataset  # noqa: E402


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/data")
    n_volumes = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    paths = write_dataset(
        out,
        shape=(91, 109, 91),
        n_volumes=n_volumes,
        n_regions=400,
        voxel_size=2.0,
        seed=2026,
        stem=f"sub-bench_task-rest_run-{n_volumes}_bold",
        compresslevel=6,
    )
    for role, path in paths.items():
        print(f"{role}: {path}")


if __name__ == "__main__":
    main()
