"""Work split between the cores: parts in order, one per core, none empty."""

from __future__ import annotations

import threading

import pytest

from niimasker_core.engine import parts


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [0, 1, 5, 12])
def test_parts_cover_the_items_in_order(monkeypatch, cores, count):
    monkeypatch.setattr(parts, "usable_cores", lambda: cores)
    items = list(range(count))
    out = parts.in_parts(lambda part, offset: [i + offset for i in part], items, 10)
    assert [x for part in out for x in part] == [i + 10 for i in items]
    assert len(out) == max(1, min(cores, count))
    assert all(out) or count == 0


def test_parts_run_in_threads_when_there_are_several(monkeypatch):
    monkeypatch.setattr(parts, "usable_cores", lambda: 2)
    names = parts.in_parts(lambda part: threading.current_thread().name, [1, 2])
    assert all(name != threading.main_thread().name for name in names)
    monkeypatch.setattr(parts, "usable_cores", lambda: 1)
    (name,) = parts.in_parts(lambda part: threading.current_thread().name, [1, 2])
    assert name == threading.main_thread().name


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, 2),
        ({"OMP_NUM_THREADS": "1"}, 1),  # a joblib worker of n_jobs=2 on 2 cores
        ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, 1),
        ({"OMP_NUM_THREADS": "8"}, 2),  # never more than the cores
        ({"OMP_NUM_THREADS": "", "MKL_NUM_THREADS": "0"}, 2),  # unset or meaningless
    ],
)
def test_usable_cores_honour_a_runners_thread_limit(monkeypatch, environ, expected):
    from niimasker_core.domains import base

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(base.os, "sched_getaffinity", lambda pid: {0, 1})
    assert base.usable_cores() == expected
