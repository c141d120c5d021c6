"""The batch: resume by fingerprint, shards, parallel runs, the folder's lock and temporaries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_bold

from niimasker_core import errors
from niimasker_core.faces import api
from niimasker_core.faces.cli import main
from niimasker_core.io.folder import folder_lock, remove_stale_temporaries
from niimasker_core.io.writers import TEMPORARY_PATTERN, atomic_path

N_IMAGES = 5


@pytest.fixture
def images(tmp_path, rng, affine) -> list[str]:
    folder = tmp_path / "bids"
    folder.mkdir()
    paths = []
    for n in range(1, N_IMAGES + 1):
        path = folder / f"sub-{n:02d}_task-rest_bold.nii.gz"
        make_bold(rng, affine, n_volumes=20).to_filename(path)
        paths.append(str(path))
    return paths


def outputs(folder: Path) -> dict[str, bytes]:
    """Every per-image output (tables and sidecars) by name, as bytes."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file()
        and p.name.endswith(("_timeseries.tsv", "_timeseries.json"))
        or p.name.endswith("_coverage.tsv")
    }


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def run(images, atlas, out, **extra):
    return api.extract_timeseries(images, str(atlas), str(out), report=False, **extra)


def test_rerun_skips_finished_images_and_completes_the_rest(
    tmp_path, images, atlas_file
):
    out = tmp_path / "out"
    first = run(images, atlas_file, out, detrend=True)
    before = outputs(out)
    stamps = {p: (out / p).stat().st_mtime_ns for p in before}
    # As if killed while writing image 4: its table is there, its sidecar (last) not,
    # and a temporary of the killed process is left behind.
    (out / "sub-04_task-rest_bold_timeseries.json").unlink()
    stale = (
        out
        / f".x_timeseries.tsv.0123456789ab.{dead_pid()}@{socket.gethostname()}.niimasker-tmp.tsv"
    )
    stale.write_text("half")
    second = run(images, atlas_file, out, detrend=True)
    assert sorted(Path(p).name for p in second.skipped) == sorted(
        Path(p).name for p in images if "sub-04" not in p
    )
    assert not stale.exists()
    assert outputs(out) == before  # same bytes, the redone image included
    for name, stamp in stamps.items():
        if "sub-04" not in name:
            assert (out / name).stat().st_mtime_ns == stamp, name  # not rewritten
    for a, b in zip(first.timeseries, second.timeseries):
        assert a.columns == b.columns and a.shape == b.shape
        assert a.volumes == b.volumes
        assert b.skipped == ("sub-04" not in b.file)
        got, want = b.data.to_numpy(), a.data.to_numpy()
        assert abs(got - want).max() <= 1e-7 * abs(want).max()  # 9 digits as written
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert record["status"] == "complete"
    assert [r["status"] for r in record["runs"]] == [
        "written" if "sub-04" in r["image"] else "skipped" for r in record["runs"]
    ]


def test_other_settings_or_overwrite_redo_every_image(tmp_path, images, atlas_file):
    out = tmp_path / "out"
    run(images[:2], atlas_file, out)
    assert run(images[:2], atlas_file, out, detrend=True).skipped == []
    assert len(run(images[:2], atlas_file, out, detrend=True).skipped) == 2
    assert run(images[:2], atlas_file, out, detrend=True, overwrite=True).skipped == []
    os.utime(images[0], ns=(1, 1))  # an input changed
    assert run(images[:2], atlas_file, out, detrend=True).skipped == [images[1]]


def test_shards_together_equal_one_run(tmp_path, images, atlas_file):
    whole = tmp_path / "whole"
    run(images, atlas_file, whole, detrend=True)
    sharded = tmp_path / "sharded"
    taken = []
    for i in (1, 2, 3):
        result = run(images, atlas_file, sharded, detrend=True, shard=f"{i}/3")
        taken += [item.file for item in result.timeseries]
        record = sharded / "niimasker_data" / f"parameters_shard-{i}-of-3.json"
        assert json.loads(record.read_text())["status"] == "complete"
    assert sorted(taken) == sorted(images)  # each image in exactly one shard
    assert outputs(sharded) == outputs(whole)
    assert not (sharded / "report.html").exists()
    # one run without shard then skips everything and writes the record and report
    final = api.extract_timeseries(images, str(atlas_file), str(sharded), detrend=True)
    assert len(final.skipped) == N_IMAGES and (sharded / "report.html").is_file()


def test_shard_takes_every_nth_image_in_natural_order(tmp_path, images, atlas_file):
    plan = api.plan_extraction(list(reversed(images)), shard="2/2")
    assert [Path(p["image"]).name[:6] for p in plan] == ["sub-04", "sub-02"]
    with pytest.raises(errors.SettingsError, match="'shard' must be 'i/N'"):
        api.plan_extraction(images, shard="4/3")


def test_parallel_run_writes_the_same_bytes(tmp_path, images, atlas_file):
    run(images, atlas_file, tmp_path / "serial", detrend=True)
    run(images, atlas_file, tmp_path / "joblib", detrend=True, n_jobs=2)
    assert outputs(tmp_path / "joblib") == outputs(tmp_path / "serial")


def test_dask_local_cluster_writes_the_same_bytes(tmp_path, images, atlas_file):
    pytest.importorskip("dask.distributed")
    run(images, atlas_file, tmp_path / "serial", detrend=True)
    result = run(images, atlas_file, tmp_path / "dask", detrend=True, n_jobs=2,
                 dask_scheduler="local")  # fmt: skip
    assert [item.file for item in result.timeseries] == images
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "serial")


def _worker_environment(plan, job, output_dir):
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")


def test_dask_local_workers_keep_glibc_thresholds_and_the_environment_is_restored(
    images, atlas_file, monkeypatch
):
    pytest.importorskip("dask.distributed")
    from niimasker_core.batch.dask_cluster import run_on_dask
    from niimasker_core.batch.job import Job
    from niimasker_core.batch.plan import plan_runs
    from niimasker_core.params.options import RunOptions
    from niimasker_core.params.settings import make_settings

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    settings = make_settings(
        input_files=images[:1], roi_file=str(atlas_file), dask_scheduler="local"
    )
    options = RunOptions.from_settings(settings)
    job = Job(settings, options, ())
    before = dict(os.environ)
    got = list(
        run_on_dask(
            plan_runs(settings, options.confounds), job, None, None, _worker_environment
        )
    )
    # Dask's MALLOC_TRIM_THRESHOLD_=65536 made every chunk's temporaries fresh
    # mmaps (2x the time per image); its other pre-spawn variables stay.
    assert got == [(images[0], (None, "1"))]
    assert dict(os.environ) == before


def test_dask_client_from_python(tmp_path, images, atlas_file):
    distributed = pytest.importorskip("dask.distributed")
    run(images[:2], atlas_file, tmp_path / "serial")
    with distributed.Client(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as client:
        run(images[:2], atlas_file, tmp_path / "dask", dask_scheduler=client)
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "serial")


def test_live_lock_refuses_a_second_run(tmp_path, images, atlas_file):
    out = tmp_path / "out"
    with folder_lock(out):
        with pytest.raises(errors.OutputFolderBusyError, match="in use by another"):
            run(images[:1], atlas_file, out)
        with pytest.raises(errors.OutputFolderBusyError):
            run(images[:1], atlas_file, out, shard="1/2")
    with folder_lock(out, "1/2"), folder_lock(out, "2/2"):  # shards run together
        with pytest.raises(errors.OutputFolderBusyError):
            run(images[:1], atlas_file, out)  # but not with a whole batch
    lock = out / "niimasker_data" / ".niimasker-lock"
    lock.write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(),
                                "started": "then"}))  # fmt: skip
    run(images[:1], atlas_file, out)  # a killed run's lock is taken over
    assert not lock.exists()


def test_stale_temporaries_go_and_live_ones_stay(tmp_path):
    host = socket.gethostname()
    (tmp_path / "niimasker_data").mkdir()
    dead = (
        tmp_path
        / f".a_timeseries.tsv.0123456789ab.{dead_pid()}@{host}.niimasker-tmp.tsv"
    )
    live = (
        tmp_path
        / f".b_timeseries.tsv.0123456789ab.{os.getpid()}@{host}.niimasker-tmp.tsv"
    )
    # a name without niimasker's marker is another program's, however it looks
    other = (
        tmp_path / "niimasker_data" / (".parameters.json." + "ab" * 16 + ".tmp.json")
    )
    for path in (dead, live, other):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path) == [str(dead)]
    assert live.exists() and other.exists()


def test_temporaries_carry_their_writer(tmp_path):
    with atomic_path(tmp_path / "t.tsv") as tmp:
        match = TEMPORARY_PATTERN.match(tmp.name)
        assert match and int(match["pid"]) == os.getpid() and match["target"] == "t.tsv"


def test_failed_run_is_recorded_next_to_its_outputs(tmp_path, images, atlas_file):
    out = tmp_path / "out"
    broken = Path(images[1])
    broken.write_bytes(broken.read_bytes()[:200])  # truncated
    result = run(images[:3], atlas_file, out)
    assert [f.file for f in result.failures] == [images[1]]
    record = json.loads((out / "niimasker_data" / "parameters.json").read_text())
    assert record["status"] == "1 image(s) failed"
    failed = [r for r in record["runs"] if r["status"] == "failed"]
    assert [r["image"] for r in failed] == [images[1]] and "Error" in failed[0]["error"]


def test_command_summary_and_verbose_lines(capsys, tmp_path, images, atlas_file):
    out = tmp_path / "out"
    argv = [str(out), "-i", *images[:2], "-r", str(atlas_file), "--report", "false"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert (
        "2 written, 0 skipped (up to date), 0 failed in" in err and "exit code 0" in err
    )
    assert main([*argv, "--verbose"]) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines[:2]] == [
        "skipped (up to date)"
    ] * 2
    assert "0 written, 2 skipped (up to date)" in lines[-1]


def test_killed_batch_resumes_without_leftovers(tmp_path, rng, affine, atlas_file):
    folder = tmp_path / "many"
    folder.mkdir()
    images = []
    for n in range(1, 11):
        path = folder / f"sub-{n:02d}_task-rest_bold.nii.gz"
        make_bold(rng, affine, n_volumes=20).to_filename(path)
        images.append(str(path))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "niimasker_core.faces.cli", str(out), "-i", *images,
            "-r", str(atlas_file), "--report", "false", "--verbose"]  # fmt: skip
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "written:" in line:
            proc.kill()  # SIGKILL after the first image, wherever it is
            break
    proc.wait()
    proc.stderr.close()
    finished = len(list(out.glob("*_timeseries.json")))
    result = run(images, atlas_file, out)
    assert len(result.skipped) == finished and not result.failures
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary, no lock
    clean = tmp_path / "clean"
    run(images, atlas_file, clean)
    assert outputs(out) == outputs(clean)
