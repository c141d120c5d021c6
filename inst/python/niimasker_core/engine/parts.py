"""Work split between the process's cores: contiguous parts, one thread each.

For work whose heavy calls release the GIL (numpy's LAPACK, pandas' C
parser, zlib): each part runs in a thread with one BLAS thread, since two
400 x 400 eigendecompositions at once on one BLAS thread each take 9 ms
apiece where one on two threads takes 11 ms. scipy's f2py LAPACK wrappers
keep the GIL: they gain nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..domains.base import usable_cores
from .blas import one_blas_thread

__all__ = ["in_parts"]


def in_parts(function: Callable[..., Any], items: Sequence, *args: Any) -> list:
    """Return ``function(part, *args)`` for contiguous parts of ``items``, one per core.

    The cores are :func:`~niimasker_core.domains.base.usable_cores`: the
    process's, at most the thread limit of an ``n_jobs`` or Dask worker.

    Parameters
    ----------
    function : callable
        Called with a slice of ``items`` and ``args``, in a thread with one
        BLAS thread (in the calling thread, unlimited, when there is one part).
    items : sequence
        What to split; at most one part per item.
    *args
        Passed to every call.

    Returns
    -------
    list
        The parts' results, in the order of the parts.
    """
    workers = max(1, min(usable_cores(), len(items)))
    if workers == 1:
        return [function(items, *args)]
    bounds = np.linspace(0, len(items), workers + 1).astype(int)
    parts = [items[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    with one_blas_thread(), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda part: function(part, *args), parts))
