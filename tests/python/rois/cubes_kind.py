"""A test-only ROI kind, written as docs/architecture.md says: one module, one registry line.

Regions are cubes of voxels around the coordinates of a ``.cubes.tsv`` table
(x, y, z in mm), each column the mean of its cube.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from niimasker_core.engine import Reduction
from niimasker_core.rois.base import GridCachedSource, RoiRequest
from niimasker_core.rois.registry import RoiKind


def load(request: RoiRequest) -> Cubes:
    """Load the cubes of a table (the registry calls this)."""
    return Cubes(request.roi_file, half_width=int(request.options.radius or 1))


class Cubes(GridCachedSource):
    """Cubes of ``2 * half_width + 1`` voxels a side around each coordinate."""

    kind = "cubes"

    def __init__(self, path: str, half_width: int) -> None:
        self.path = path
        self.centres = pd.read_csv(path, sep="\t")[["x", "y", "z"]].to_numpy(float)
        self.half_width = half_width
        self.names = [f"cube{i}" for i in range(1, len(self.centres) + 1)]

    def describe(self) -> dict[str, Any]:
        regions = [{"index": i, "name": n} for i, n in enumerate(self.names, start=1)]
        return {"kind": self.kind, "roi_file": self.path, "regions": regions}

    def members(self, shape, affine) -> list[np.ndarray]:
        """Flat (Fortran-order) voxel indices of each cube on a grid."""
        inverse = np.linalg.inv(affine)
        out = []
        for centre in self.centres:
            ijk = np.rint(inverse[:3, :3] @ centre + inverse[:3, 3]).astype(int)
            ranges = [
                np.arange(max(c - self.half_width, 0), min(c + self.half_width + 1, n))
                for c, n in zip(ijk, shape)
            ]
            grid = np.stack(np.meshgrid(*ranges, indexing="ij"), -1).reshape(-1, 3)
            out.append(np.ravel_multi_index(grid.T, shape, order="F"))
        return out

    def _build(self, shape, affine) -> Reduction:
        members = self.members(shape, affine)
        bounds = np.cumsum([0] + [len(m) for m in members])

        def reduce(values):
            values = np.asarray(values, dtype=np.float64)
            return np.stack(
                [values[:, a:b].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])],
                axis=1,
            )

        return Reduction(
            columns=list(self.names), voxels=np.concatenate(members), reduce=reduce
        )


KIND = RoiKind("cubes", __name__, lambda r: (r.roi_file or "").endswith(".cubes.tsv"))
