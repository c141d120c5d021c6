"""Running a batch's images as tasks on a Dask cluster (the optional ``dask`` extra).

``dask_scheduler`` is a scheduler address (``tcp://host:8786``), ``'local'``
(a ``LocalCluster`` of ``n_jobs`` single-threaded worker processes, started
and stopped here), or, from Python, a ``dask.distributed.Client`` (for
example on a ``dask_jobqueue.SLURMCluster``), which is used as it is and left
open. Each image is one task running the same function as a serial batch;
the workers write the outputs, so they must see the output folder. A
scheduler that does not answer within ``dask_timeout`` seconds is an error;
an image whose worker died (its task cancelled or the worker killed) is
submitted once more, and if that worker dies too the image fails with a
:class:`~niimasker_core.errors.WorkerLostError` naming it.

The local cluster's workers start without Dask's default
``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``):
with it, glibc serves every allocation over 128 KiB with a fresh ``mmap``, so
each chunk's temporaries (a gathered block, a float64 copy of each volume)
are page-faulted and unmapped again, and an image took 1.5-3x as long as in
a joblib worker. Streaming holds no memory to give back, so nothing is lost.
The caller's environment, which the nanny sets before spawning, is restored
at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any

from ..errors import SettingsError, WorkerLostError
from .job import Job
from .outcome import Failure
from .plan import RunPlan

__all__ = ["run_on_dask"]


def _distributed() -> Any:
    try:
        import dask.distributed as distributed
    except ImportError:
        raise SettingsError(
            "'dask_scheduler' needs the Dask packages, which are not installed. "
            "Install them with: pip install 'niimasker[dask]' (dask and distributed), "
            "or drop 'dask_scheduler'."
        ) from None
    return distributed


def run_on_dask(
    plans: Sequence[RunPlan],
    job: Job,
    output_dir: str | None,
    client: Any,
    work: Callable[..., Any],
) -> Iterator[Any]:
    """Yield ``work(plan, job, output_dir)`` for each plan, run on Dask.

    Parameters
    ----------
    plans : sequence of RunPlan
        The images to run.
    job : Job
        The batch's work (its ROI sets loaded), sent to the workers once;
        its ``dask_scheduler`` and ``n_jobs`` say where they run.
    output_dir : str or None
        Where the workers write.
    client : dask.distributed.Client or None
        A client to use as it is; None connects to ``dask_scheduler``.
    work : callable
        The per-image function; it returns a result or a failure, never raises.

    Yields
    ------
    tuple
        Each image's path and outcome (its results, or its failure), as it
        finishes.

    Raises
    ------
    SettingsError
        If dask is not installed or the scheduler cannot be reached.
    """
    if not plans:
        return
    settings = job.settings
    distributed = _distributed()
    owned: list[Any] = []
    environment = {name: os.environ.get(name) for name in _nanny_variables()}
    if client is None:
        try:
            if settings.dask_scheduler == "local":
                cluster = _local_cluster(distributed, settings.n_jobs)
                owned.append(cluster)
                client = distributed.Client(cluster)
            else:
                client = distributed.Client(
                    settings.dask_scheduler, timeout=f"{settings.dask_timeout}s"
                )
        except OSError as exc:
            raise SettingsError(
                "{parameter} {value} cannot be reached within {timeout:g} s "
                "({problem:text}).",
                parameter="dask_scheduler",
                value=settings.dask_scheduler,
                timeout=settings.dask_timeout,
                problem=" ".join(str(exc).split()),
                fix="Check the address and that the scheduler runs, use 'local', "
                "or wait longer with {--dask_timeout}.",
            ) from None
        owned.insert(0, client)
    try:
        shared = client.scatter(job, broadcast=True)
        futures = {
            client.submit(work, plan, shared, output_dir, pure=False): plan
            for plan in plans
        }
        retried: set[str] = set()
        finished = distributed.as_completed(futures)
        for future in finished:
            plan = futures[future]
            try:
                yield plan.image, future.result()
            except Exception as exc:  # the worker died: a failure of this image
                if not _worker_lost(exc, distributed):
                    failure = Failure(plan.image, type(exc).__name__, f"{exc}", exc)
                elif plan.image not in retried:  # once more, on another worker
                    retried.add(plan.image)
                    again = client.submit(work, plan, shared, output_dir, pure=False)
                    futures[again] = plan
                    finished.add(again)
                    continue
                else:
                    failure = _lost(plan.image, exc)
                yield plan.image, failure
    finally:
        for thing in owned:
            thing.close()
        if owned:
            _restore(environment)


def _worker_lost(exc: Exception, distributed: Any) -> bool:
    """Tell whether a task failed because its worker died (not because of the image)."""
    return isinstance(exc, (CancelledError, distributed.KilledWorker))


def _lost(image: str, exc: Exception) -> Failure:
    """Return the failure of an image whose worker died twice."""
    error = WorkerLostError(
        "The Dask worker running {file} died before finishing it, twice "
        "({kind:text}: {problem:text}).",
        file=image,
        kind=type(exc).__name__,
        problem=" ".join(str(exc).split()) or "no detail",
        fix="Run the batch again to retry it (finished images are skipped), and "
        "check the workers' logs and memory.",
    )
    return Failure(image, type(error).__name__, str(error), error)


def _local_cluster(distributed: Any, n_jobs: int) -> Any:
    """Start a ``LocalCluster`` of ``n_jobs`` one-thread workers (all cores for -1)."""
    import dask

    workers = None if n_jobs < 1 else n_jobs
    # None drops the variable from the nanny's pre-spawn environment (the
    # nanny reads it when created, in the constructor), so the workers keep
    # glibc's adaptive thresholds, as serial and joblib runs do.
    trim = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    with dask.config.set({trim: None}):
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )


def _nanny_variables() -> set[str]:
    """Return what a nanny sets in the environment of the process starting it."""
    import dask

    return {*dask.config.get("distributed.nanny.pre-spawn-environ"), "PYTHONHASHSEED"}


def _restore(environment: dict[str, str | None]) -> None:
    # The nanny sets its pre-spawn variables (OMP_NUM_THREADS=1, ...,
    # PYTHONHASHSEED) in this process's environment; later child processes of
    # the caller (an R session's next joblib batch) must not inherit them.
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
