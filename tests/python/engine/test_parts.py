"""Work split between the cores: parts in order, one per core, none empty."""

from __future__ import annotations

import threading

import pytest

from niimasker_core.engine import parts


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [0, 1, 5, 12])
def test_parts_cover_the_items_in_order(monkeypatch, cores, count):
    monkeypatch.setattr(parts, "cores", lambda: cores)
    items = list(range(count))
    out = parts.in_parts(lambda part, offset: [i + offset for i in part], items, 10)
    assert [x for part in out for x in part] == [i + 10 for i in items]
    assert len(out) == max(1, min(cores, count))
    assert all(out) or count == 0


def test_parts_run_in_threads_when_there_are_several(monkeypatch):
    monkeypatch.setattr(parts, "cores", lambda: 2)
    names = parts.in_parts(lambda part: threading.current_thread().name, [1, 2])
    assert all(name != threading.main_thread().name for name in names)
    monkeypatch.setattr(parts, "cores", lambda: 1)
    (name,) = parts.in_parts(lambda part: threading.current_thread().name, [1, 2])
    assert name == threading.main_thread().name
