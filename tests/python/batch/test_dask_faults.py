"""Dask faults: a dead worker is retried once, then named; an absent scheduler times out."""

from __future__ import annotations

import pytest

from niimasker_core import errors
from niimasker_core.faces import api
from niimasker_core.faces.cli import main

distributed = pytest.importorskip("dask.distributed")

UNREACHABLE = "tcp://127.0.0.1:1"


@pytest.fixture
def client():
    with distributed.Client(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as client:
        yield client


def cancel_submissions(monkeypatch, client, how_many: int) -> list[str]:
    """Cancel the first ``how_many`` tasks as soon as submitted, as a killed worker does."""
    submit = client.submit
    cancelled = []

    def submit_then_cancel(work, plan, *args, **kwargs):
        future = submit(work, plan, *args, **kwargs)
        if len(cancelled) < how_many:
            cancelled.append(plan.image)
            future.cancel()
        return future

    monkeypatch.setattr(client, "submit", submit_then_cancel)
    return cancelled


def test_a_lost_worker_is_retried_once(monkeypatch, client, bold_file, atlas_file):
    cancelled = cancel_submissions(monkeypatch, client, 1)
    result = api.extract_timeseries(
        [str(bold_file)], str(atlas_file), dask_scheduler=client
    )
    assert cancelled == [str(bold_file)]
    assert not result.failures and len(result.timeseries) == 1


def test_a_worker_lost_twice_names_the_image(
    monkeypatch, client, bold_file, atlas_file
):
    cancel_submissions(monkeypatch, client, 2)
    with pytest.raises(errors.WorkerLostError) as caught:
        api.extract_timeseries([str(bold_file)], str(atlas_file), dask_scheduler=client)
    message = str(caught.value)
    assert f"'{bold_file}'" in message and "died" in message
    assert "Run the batch again to retry it" in message and "\n" not in message


def test_unreachable_scheduler_times_out_as_asked(
    capsys, tmp_path, bold_file, atlas_file
):
    with pytest.raises(errors.SettingsError, match="within 0.5 s.*'dask_timeout'"):
        api.extract_timeseries(
            [str(bold_file)],
            str(atlas_file),
            dask_scheduler=UNREACHABLE,
            dask_timeout=0.5,
        )
    code = main([str(tmp_path / "o"), "-i", str(bold_file), "-r", str(atlas_file),
                 "--dask_scheduler", UNREACHABLE, "--dask_timeout", "0.5",
                 "--report", "false"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("SettingsError: --dask_scheduler") and "--dask_timeout" in err


def test_dask_timeout_defaults_to_ten_seconds():
    from niimasker_core.params.declarations import PARAMETERS

    (timeout,) = [p for p in PARAMETERS if p.name == "dask_timeout"]
    assert timeout.default == 10.0
