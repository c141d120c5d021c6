"""Running a batch's images as tasks on a Dask cluster (the optional ``dask`` extra).

``dask_scheduler`` is a scheduler address (``tcp://host:8786``), ``'local'``
(a ``LocalCluster`` of ``n_jobs`` single-threaded worker processes, started
and stopped here), or, from Python, a ``dask.distributed.Client`` (for
example on a ``dask_jobqueue.SLURMCluster``), which is used as it is and left
open. Each image is one task running the same function as a serial batch;
the workers write the outputs, so they must see the output folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .errors import SettingsError

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
    plans: Sequence[Any],
    settings: Any,
    roi: Any,
    output_dir: str | None,
    client: Any,
    work: Callable[..., Any],
) -> Iterator[Any]:
    """Yield ``work(plan, settings, roi, output_dir)`` for each plan, run on Dask.

    Parameters
    ----------
    plans : sequence of RunPlan
        The images to run.
    settings : Settings
        The batch's settings (``dask_scheduler`` and ``n_jobs`` are used here).
    roi : RoiSource
        Sent to the workers once.
    output_dir : str or None
        Where the workers write.
    client : dask.distributed.Client or None
        A client to use as it is; None connects to ``settings.dask_scheduler``.
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
    distributed = _distributed()
    owned: list[Any] = []
    if client is None:
        try:
            if settings.dask_scheduler == "local":
                workers = None if settings.n_jobs < 1 else settings.n_jobs
                cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                owned.append(cluster)
                client = distributed.Client(cluster)
            else:
                client = distributed.Client(settings.dask_scheduler, timeout="30s")
        except OSError as exc:
            raise SettingsError(
                f"'dask_scheduler' {settings.dask_scheduler!r} cannot be reached "
                f"({exc}). Check the address, or use 'local'."
            ) from None
        owned.insert(0, client)
    try:
        shared = client.scatter(roi, broadcast=True)
        futures = {
            client.submit(work, plan, settings, shared, output_dir, pure=False): plan
            for plan in plans
        }
        for future in distributed.as_completed(futures):
            plan = futures[future]
            try:
                yield plan.image, future.result()
            except Exception as exc:  # the worker died: a failure of this image
                from .process import Failure

                yield plan.image, Failure(plan.image, type(exc).__name__, f"{exc}", exc)
    finally:
        for thing in owned:
            thing.close()
