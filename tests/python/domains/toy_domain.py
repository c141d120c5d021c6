"""A test-only domain: signals sampled on a plain set of points, stored as ``.npy``.

It proves the domain seam: an image kind the core was never written for
(``<name>.points.npy``, a volumes x points array) and an ROI kind on it
(``<name>.groups.json``, point indices per region) run through the registry,
the engine and the whole batch with no change to either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from niimasker_core.domains.registry import ImageReader
from niimasker_core.engine import Reduction
from niimasker_core.errors import SettingsError
from niimasker_core.rois.registry import RoiKind

IMAGE_SUFFIX = ".points.npy"
GROUPS_SUFFIX = ".groups.json"


@dataclass(frozen=True)
class Points:
    """A domain of ``n`` unordered points: no space to resample or smooth in."""

    n: int

    @property
    def key(self):
        return ("points", self.n)

    @property
    def n_samples(self) -> int:
        return self.n

    def describe(self) -> str:
        return f"{self.n} points"

    def check_kernel(self, fwhm: float, name: str) -> None:
        raise SettingsError(f"'{name}' is sampled on points: it cannot be smoothed.")

    def smooth(self, block, fwhm):  # pragma: no cover - refused by check_kernel
        raise AssertionError("never smoothed")

    def resample_from(self, source, block, bounds=None, cache=None):
        raise AssertionError("points are never resampled")  # pragma: no cover

    def resample_at(self, source, block, voxels, bounds=None, cache=None):
        raise AssertionError("points are never resampled")  # pragma: no cover

    draws_regions = False

    def draw_overlay(self, background, labels, figures):
        return None


class PointsImage:
    """A ``volumes x points`` array saved with :func:`numpy.save`, streamed in chunks."""

    sample_major = False

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self.data = np.load(path, mmap_mode="r")
        self.n_volumes = int(self.data.shape[0])
        self.dtype = self.data.dtype

    @property
    def domain(self) -> Points:
        return Points(int(self.data.shape[1]))

    @property
    def source_dtype(self):
        return self.dtype

    @property
    def volume_bytes(self) -> int:
        return int(self.data.shape[1]) * self.dtype.itemsize

    def chunks(self, start=0, chunk_bytes=2**20, read_ahead=True):
        per_chunk = max(1, chunk_bytes // self.volume_bytes)
        for first in range(start, self.n_volumes, per_chunk):
            yield first, np.ascontiguousarray(self.data[first : first + per_chunk])

    def read_zeroed(self, samples, domain, smoothing_fwhm):  # pragma: no cover
        raise AssertionError("no reduction here reads non-finite values as 0")


READER = ImageReader("points", (IMAGE_SUFFIX,), PointsImage, lambda path: None)


class Groups:
    """Regions as lists of point indices; each column is its points' mean."""

    kind = "groups"
    space = None
    output_format = "tsv"
    dtype = None
    files: dict[str, Any] = {}
    parcels = None

    def __init__(self, path: str) -> None:
        self.path = path
        self.groups = json.loads(Path(path).read_text())
        self.names = list(self.groups)

    def for_domain(self, domain) -> Reduction:
        if not isinstance(domain, Points):
            raise SettingsError(
                f"'{self.path}' groups points, not {domain.describe()}."
            )
        members = [np.asarray(v, dtype=np.int64) for v in self.groups.values()]
        voxels = np.concatenate(members)
        bounds = np.cumsum([0] + [len(m) for m in members])

        def reduce(values):
            values = np.asarray(values, dtype=np.float64)
            return np.stack(
                [values[:, a:b].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:])],
                axis=1,
            )

        return Reduction(columns=list(self.names), voxels=voxels, reduce=reduce)

    def describe(self) -> dict[str, Any]:
        regions = [{"index": i, "name": n} for i, n in enumerate(self.names, start=1)]
        return {"kind": self.kind, "roi_file": self.path, "regions": regions}

    def describe_extent(self) -> str:
        return f"{len(self.names)} groups of points"

    def columns(self, reduction) -> list[str]:
        return list(reduction.columns)

    def describe_columns(self, reduction) -> dict[str, Any]:
        return {"EmptyRegions": [], "Columns": list(reduction.columns)}

    def describe_output(self) -> dict[str, Any]:
        return {}

    def region_labels(self, reduction, domain):
        labels = np.zeros(domain.n_samples, dtype=np.int32)
        for k, members in enumerate(self.groups.values(), start=1):
            labels[members] = k
        return labels, ""


def load(request) -> Groups:
    """The toy ROI kind's loader, as the registry calls it."""
    return Groups(request.roi_file)


KIND = RoiKind("groups", __name__, lambda r: (r.roi_file or "").endswith(GROUPS_SUFFIX))
