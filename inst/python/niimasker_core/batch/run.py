"""The batch: which images need running, where they run, and the record of the run.

Every image goes through :func:`~niimasker_core.batch.image.safe_process`;
where it runs is a choice made here: serially, in ``n_jobs`` local processes
(joblib), or as tasks on a Dask cluster (``dask_scheduler``), for all images
or for one shard of a SLURM job array (``shard``). Each way writes the same
bytes. Before running, images whose outputs are complete and carry the same
fingerprint are skipped (``overwrite`` redoes them), so a killed batch
resumes where it stopped. A failing image is recorded and the others still
finish; the caller decides what that means (the command's exit code, an R
warning).

With an output folder, the batch holds its lock (:mod:`niimasker_core.io.folder`),
removes the temporaries killed runs left there, and keeps
``niimasker_data/parameters.json`` true to the folder: written as ``running``
before the first image, and rewritten at the end with each image's outcome
(written, skipped or failed, with the reason).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..domains.registry import open_image
from ..errors import SettingsError
from ..io.folder import check_output_dir, folder_lock, remove_stale_temporaries
from ..io.writers import write_json, write_nifti
from ..params.options import RunOptions
from ..params.settings import Settings
from ..rois.sets import load_roi_sets
from .bids_dataset import dataset_names, write_dataset_files
from .budget import check_memory_budget, check_voxel_disk
from .connectomes import add_tangents, check_tangent_images
from .dask_cluster import run_on_dask
from .image import safe_process
from .job import Job
from .name_length import check_name_lengths
from .outcome import Failure, ImageResult, Outcome
from .plan import RunPlan, natural_key, plan_runs
from .readback import finished_outputs
from .record import parameters_file, record_outcome, record_status, run_record
from .report import ReportSpool
from .report.sections import MEAN_VOLUMES
from .safety import check_outputs
from .shards import SHARD_LIST_KEY, check_shard_list

__all__ = ["BatchResult", "run_batch", "select_shard"]

log = logging.getLogger("niimasker")


@dataclass
class BatchResult:
    """Every image's result or failure, plus the resolved parameters.

    ``results`` include the images skipped because their outputs were
    complete (``ImageResult.skipped``); ``seconds`` is the batch's wall time.
    """

    results: list[ImageResult]
    failures: list[Failure]
    parameters: dict[str, Any]
    seconds: float = 0.0
    mask_img: Any = None  # the space of voxels or grayordinates (a nibabel object)

    @property
    def skipped(self) -> list[ImageResult]:
        """The results read back rather than made."""
        return [r for r in self.results if r.skipped]


def select_shard(plans: Sequence[RunPlan], shard: str | None) -> list[RunPlan]:
    """Return the plans of shard ``'i/N'``: every N-th image from the i-th, natural order.

    Parameters
    ----------
    plans : sequence of RunPlan
        Every image of the batch.
    shard : str or None
        ``'i/N'`` (1-based), or None for every image.

    Returns
    -------
    list of RunPlan
        The shard's plans, in the batch's order.
    """
    if shard is None:
        return list(plans)
    index, count = (int(n) for n in shard.split("/"))
    ordered = sorted(plans, key=lambda p: natural_key(p.image))
    mine = {p.image for p in ordered[index - 1 :: count]}
    return [p for p in plans if p.image in mine]


def run_batch(
    settings: Settings,
    output_dir: str | None = None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    command: str | None = None,
    on_image: Callable[[Outcome], None] | None = None,
    keep_values: bool = True,
) -> BatchResult:
    """Process every input image (or one shard) and write outputs when ``output_dir`` is given.

    Parameters
    ----------
    settings : Settings
        Validated settings.
    output_dir : str or None
        Folder for the outputs; None writes nothing (and skips nothing).
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    command : str, optional
        The command line, recorded in parameters.json.
    on_image : callable, optional
        Called with each image's :class:`ImageResult` or :class:`Failure`.
    keep_values : bool
        Keep each result's values, columns' names, volumes and sidecar
        (False: they are dropped as each image finishes, once its report
        section is drawn, so memory stays flat in the number of images).

    Returns
    -------
    BatchResult
        Results in input order, and failures.

    Raises
    ------
    NiimaskerError
        For problems found before any image is read (settings, ROIs, pairing,
        another run holding the output folder).
    """
    started = time.perf_counter()
    client, settings = _split_client(settings)
    options = RunOptions.from_settings(settings)
    every = plan_runs(settings, options.confounds)
    plans = select_shard(every, settings.shard)
    check_tangent_images(options.connectivity, len(every))
    _check_runs(settings, every)
    check_memory_budget(settings, plans)  # from the headers, before any data
    if output_dir is not None:  # before anything is read or written
        check_output_dir(output_dir)
        check_outputs(output_dir, settings, plans)
        check_name_lengths(output_dir, settings, plans)
        if settings.shard is not None:
            images = [p.image for p in every]
            check_shard_list(output_dir, settings.shard, images, settings.overwrite)
    sets = load_roi_sets(
        options.rois,
        options.voxels,
        plans[0].image if plans else None,
        plans[0].companions if plans else (),
    )
    job = Job(settings, options, tuple(sets))
    _check_connectivity_regions(job)
    if output_dir is not None and job.space is not None:
        source = sets[0].source
        check_voxel_disk(plans, source.n_voxels, source.output_format, output_dir)
    parameters = run_record(job, plans, command)
    files = dataset_names(settings) if settings.output_layout == "bids" else []
    files += sorted(sets[0].source.files)  # written once per batch (the mask)
    if files:  # niimasker's own
        parameters["files"] = files
    if settings.shard is not None:
        parameters[SHARD_LIST_KEY] = [p.image for p in every]
    hold = (
        contextlib.nullcontext()
        if output_dir is None
        else folder_lock(output_dir, settings.shard)
    )
    spool = None
    if output_dir is not None and settings.report and settings.shard is None:
        spool = ReportSpool(output_dir, sets[0].source)
        if plans:  # the overlay's image, unless it fails: averaged as it streams
            plans = [
                dataclasses.replace(plans[0], report_mean=MEAN_VOLUMES),
                *plans[1:],
            ]

    def finished(index: int, outcome: Outcome) -> Outcome:
        # each image's part of the batch's end, done as it finishes
        record_outcome(parameters["runs"][index], outcome, output_dir)
        if isinstance(outcome, Failure):
            return outcome
        if spool is not None:
            spool.add(index, outcome)
        return outcome if keep_values else [_without_values(r) for r in outcome]

    with hold:
        try:
            if output_dir is not None:
                for path in remove_stale_temporaries(output_dir):
                    log.info("Removed '%s', left by a killed run.", path)
                write_json(parameters_file(output_dir, settings.shard), parameters)
                for name, img in sets[0].source.files.items():
                    write_nifti(Path(output_dir) / name, img)
                write_dataset_files(output_dir, settings, sets, command)
            outcomes = _run_all(
                plans, job, output_dir, client, progress, on_image, finished
            )
            results = [r for o in outcomes if not isinstance(o, Failure) for r in o]
            failures = [o for o in outcomes if isinstance(o, Failure)]
            if settings.shard is None:  # over every image, from the tables written
                formats = {
                    s.name if s.suffix else None: s.source.output_format for s in sets
                }
                add_tangents(results, options.connectivity, output_dir, formats)
            record_status(parameters, len(failures))
            batch = BatchResult(results, failures, parameters, mask_img=job.space)
            if output_dir is not None:
                write_json(
                    parameters_file(output_dir, settings.shard), parameters, stream=True
                )
                if spool is not None:
                    spool.write(parameters, failures)  # never raises
        finally:
            if spool is not None:
                spool.close()
    batch.seconds = time.perf_counter() - started
    return batch


def _check_connectivity_regions(job: Job) -> None:
    """Refuse connectivity between every voxel of a mask (columns of a space)."""
    if job.options.connectivity.connectivity and job.space is not None:
        raise SettingsError(
            "{parameter} needs regions: without {--roi_file} the columns are "
            "every voxel of the mask. Got {parameter:bare}={value}.",
            parameter="connectivity",
            value=list(job.options.connectivity.connectivity),
            fix="Give the regions in {--roi_file}, or leave {parameter} out.",
        )


def _run_all(
    plans: list[RunPlan],
    job: Job,
    output_dir: str | None,
    client: Any,
    progress: Callable[[int, int, str], None] | None,
    on_image: Callable[[Outcome], None] | None,
    finished: Callable[[int, Outcome], Outcome],
) -> list[Outcome]:
    """Skip finished images, run the others where asked; outcomes in plan order.

    Each outcome goes through ``finished(index, outcome)`` as it comes (an
    image read back as soon as it is found complete), which returns what is
    kept of it.
    """
    place = {plan.image: n for n, plan in enumerate(plans)}
    by_image: dict[str, Outcome] = {}
    total = len(plans)

    def report(image: str, outcome: Outcome) -> None:
        if on_image is not None:
            for item in [outcome] if isinstance(outcome, Failure) else outcome:
                on_image(item)
        by_image[image] = finished(place[image], outcome)
        if progress is not None:
            progress(len(by_image), total, image)

    todo = []
    for plan in plans:
        done = None
        if output_dir is not None and not job.settings.overwrite:
            done = [_finished(plan, job, output_dir, s) for s in job.sets]
        if done is None or any(d is None for d in done):
            todo.append(plan)
        else:
            report(plan.image, done)
    for image, outcome in _execute(todo, job, output_dir, client):
        report(image, outcome)
    return [by_image[p.image] for p in plans]


def _check_runs(settings: Settings, plans: Sequence[RunPlan]) -> None:
    """Refuse ``runs`` given as one label per input file, before any image is read.

    ``runs`` labels the volumes of each image (nilearn's runs of one
    concatenated image); every input file is already cleaned on its own,
    which is what one run per input file asks.
    """
    runs = settings.runs
    if runs is None or len(plans) < 2 or len(runs) != len(plans):
        return
    discard = settings.discard_scans if isinstance(settings.discard_scans, int) else 0
    first = open_image(plans[0].image, plans[0].companions)  # the header alone
    if len(runs) == first.n_volumes - discard:
        return  # as many volumes as files: one label per volume after all
    raise SettingsError(
        "{parameter} gives {count} labels for {count} input files, but it labels "
        "the volumes of each image, not the files; every input file is already "
        "cleaned on its own (one run per input file).",
        parameter="runs",
        count=len(runs),
        fix="Drop {--runs} to clean each file as its own run, or give one label "
        "per volume to split each image into runs.",
    )


def _finished(plan: RunPlan, job: Job, output_dir: str, roi_set: Any) -> Any:
    """Return one set's outputs of ``plan`` read back when complete, else None."""
    source = roi_set.source
    done = finished_outputs(
        plan,
        job.settings,
        output_dir,
        plan.names(roi_set.name, roi_set.suffix),
        source.output_format,
        roi_set.name if roi_set.suffix else None,
        space=source.space,
    )
    if done is not None and source.space is not None:
        done.columns = source.columns(None)  # every voxel's name, as when made
    return done


def _without_values(result: ImageResult) -> ImageResult:
    """Return what a caller that keeps no values gets of a result: names and files.

    The values, the columns' names and the sidecar (all written to files)
    are dropped, so that the batch holds a few hundred bytes per image, not
    its table.
    """
    return dataclasses.replace(
        result,
        values=np.empty((0, 0)),
        columns=[],
        volumes=[],
        sidecar={},
        connectivity={},
        volume_mean=None,
    )


def _execute(
    plans: list[RunPlan], job: Job, output_dir: str | None, client: Any
) -> Iterator[tuple[str, Outcome]]:
    """Yield each image and its outcome as it finishes: serial, joblib or Dask."""
    settings = job.settings
    if client is not None or settings.dask_scheduler is not None:
        # Like joblib's workers, Dask's keep their warnings: they come back with the outcome.
        for image, done in run_on_dask(
            plans, job, output_dir, client, _process_in_worker
        ):
            outcome, caught = done if isinstance(done, tuple) else (done, [])
            for warning in caught:
                warnings.warn(warning, stacklevel=1)
            yield image, outcome
    elif settings.n_jobs == 1 or len(plans) <= 1:
        for plan in plans:
            yield plan.image, safe_process(plan, job, output_dir)
    else:
        from joblib import Parallel, delayed
        from joblib.externals.loky import get_reusable_executor

        _let_workers_import_core()
        jobs = (delayed(_process_in_worker)(p, job, output_dir) for p in plans)
        folders = None
        try:
            # The context manager removes joblib's temporary folder on exit.
            with Parallel(n_jobs=settings.n_jobs, return_as="generator") as parallel:
                folders = _temporary_folders(parallel)
                for plan, (outcome, caught) in zip(plans, parallel(jobs)):
                    for warning in caught:  # a worker's warnings, given again here
                        warnings.warn(warning, stacklevel=1)
                    yield plan.image, outcome
        finally:
            # An embedding process (R via reticulate) never shuts Python down, so
            # idle loky workers would outlive the batch and leak semaphores.
            get_reusable_executor().shutdown(wait=True)
            _forget_temporary_folders(folders)


def _temporary_folders(parallel: Any) -> Any:
    """Return the manager of joblib's memmapping folders of ``parallel`` (or None)."""
    workers = getattr(getattr(parallel, "_backend", None), "_workers", None)
    return getattr(workers, "_temp_folder_manager", None)


def _forget_temporary_folders(manager: Any) -> None:
    """Run now the exit hooks that remove joblib's memmapping folders.

    joblib registers a folder per ``Parallel`` with loky's resource tracker
    before it knows whether an array will be dumped there, and a folder never
    created is unregistered only by an ``atexit`` hook. An embedding process
    (R via reticulate) never runs those hooks, so the tracker warned "leaked
    folder objects" when R exited after every batch with ``n_jobs > 1``.
    """
    finalizers = getattr(manager, "_finalizers", None)
    if not isinstance(finalizers, dict):
        return
    for context_id, cleanup in list(finalizers.items()):
        cleanup()  # deletes the folder if it exists and unregisters it
        atexit.unregister(cleanup)
        del finalizers[context_id]
        manager._cached_temp_folders.pop(context_id, None)


def _process_in_worker(
    plan: RunPlan, job: Job, output_dir: str | None
) -> tuple[Outcome, list[Warning]]:
    # Warnings given in a worker process never reach the caller's filters, so
    # they travel back with the outcome.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = safe_process(plan, job, output_dir)
    return outcome, [w.message for w in caught]


def _let_workers_import_core() -> None:
    # Worker processes import this package to unpickle their tasks, and loky
    # starts them with the caller's sys.path (not PYTHONPATH). A caller that
    # imported the package from a folder no longer on sys.path (R's
    # reticulate::import_from_path removes it again) would leave them unable
    # to: put that folder first, so the workers also run this very copy.
    # the folder above the package: one level up per part of this module's name
    folder = str(Path(__file__).resolve().parents[len(__name__.split(".")) - 1])
    if not sys.path or sys.path[0] != folder:
        sys.path.insert(0, folder)


def _split_client(settings: Settings) -> tuple[Any, Settings]:
    """Take a ``dask.distributed.Client`` out of the settings (it cannot travel)."""
    scheduler = settings.dask_scheduler
    if scheduler is None or isinstance(scheduler, str):
        return None, settings
    address = getattr(scheduler, "scheduler", None)
    address = getattr(address, "address", None) or "client"
    return scheduler, dataclasses.replace(settings, dask_scheduler=str(address))
