"""One BLAS thread inside :func:`one_blas_thread`, the library's own number after."""

from __future__ import annotations

import numpy as np
import scipy.linalg  # noqa: F401  (scipy's own OpenBLAS, loaded as the maps fit loads it)
from threadpoolctl import threadpool_info

from niimasker_core.engine import one_blas_thread


def _blas_threads() -> list[int]:
    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


def test_every_blas_library_runs_one_thread_inside_and_its_own_number_after():
    before = _blas_threads()
    assert before  # numpy's BLAS at least
    with one_blas_thread():
        assert _blas_threads() == [1] * len(before)
        product = np.ones((200, 200)) @ np.ones((200, 3))
    assert _blas_threads() == before
    assert product[0, 0] == 200.0


def test_blocks_in_two_threads_restore_the_number_when_the_last_one_leaves():
    before = _blas_threads()
    first, second = one_blas_thread(), one_blas_thread()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the other block still runs
    assert _blas_threads() == [1] * len(before)
    second.__exit__(None, None, None)
    assert _blas_threads() == before
