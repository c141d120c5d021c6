"""One BLAS thread where the process's cores are already busy.

The stream inflates the next chunk in a thread while the main thread reduces
the current one, so both cores of a small machine are busy. OpenBLAS's own
threads then only contend with them (and with other processes): a maps fit of
4 volumes against 1000 maps took 20 ms per chunk with OpenBLAS's default
threads on a loaded 2-core machine and 4 ms with one. Small products
(per-chunk fits, a 1000 x 1000 Cholesky) gain nothing from more threads.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@cache
def _controller(scipy_blas: bool) -> ThreadpoolController:
    """Return a controller of the BLAS libraries loaded so far.

    numpy loads its OpenBLAS on import, scipy its own with ``scipy.linalg``:
    the libraries are scanned again once scipy's is there.
    """
    return ThreadpoolController()


class _Limit:
    """The one limit in force: set by the first block entered, restored by the last left.

    Limits are process-wide, so blocks running at once in several threads
    share one; each restoring its own saved number could leave the process
    at one thread for good.
    """

    lock = threading.Lock()
    depth = 0
    limiter = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS library limited to one thread."""
    with _Limit.lock:
        if _Limit.depth == 0:
            controller = _controller("scipy.linalg" in sys.modules)
            _Limit.limiter = controller.limit(limits=1, user_api="blas")
        _Limit.depth += 1
    try:
        yield
    finally:
        with _Limit.lock:
            _Limit.depth -= 1
            if _Limit.depth == 0:
                _Limit.limiter.restore_original_limits()
                _Limit.limiter = None
