"""The functions the command and the R package call: plain types in, plain types out.

Numeric results cross as ``bytearray`` (float64, column-major) plus their
shape, so that any caller (reticulate 1.28 included, which cannot convert
numpy 2 arrays) can rebuild them; :func:`timeseries_to_array` does that for
Python callers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import load_config, merge_config
from .run import BatchResult, ImageResult, run_batch
from .settings import PARAMETERS, make_settings

__all__ = ["extract_timeseries", "nilearn_atlas", "timeseries_to_array"]

_DEFAULTS = {p.name: p.default for p in PARAMETERS}


def extract_timeseries(
    input_files: Sequence[str] | str | None = None,
    roi_file: str | None = None,
    output_dir: str | None = None,
    *,
    mask_img: str | None = None,
    labels: Sequence[str] | str | None = None,
    regressor_files: Sequence[str] | str | None = None,
    regressors: Sequence[str] | str | None = None,
    as_voxels: bool = False,
    radius: float | None = None,
    allow_overlap: bool | None = None,
    strategy: str = "mean",
    data_dir: str | None = None,
    standardize: bool | str = False,
    standardize_confounds: bool = True,
    t_r: float | None = None,
    high_pass: float | None = None,
    low_pass: float | None = None,
    detrend: bool = False,
    smoothing_fwhm: float | None = None,
    discard_scans: int | str = 0,
    nan_policy: str = "error",
    motion: str | None = None,
    wm_csf: str | None = None,
    global_signal: str | None = None,
    scrub: int | None = None,
    fd_threshold: float | None = None,
    std_dvars_threshold: float | None = None,
    compcor: str | None = None,
    n_compcor: int | str | None = None,
    ica_aroma: str | None = None,
    demean: bool = True,
    output_volumes: str = "censored",
    report: bool = True,
    n_jobs: int = 1,
    config: str | Mapping[str, Any] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Extract cleaned ROI timeseries from one or more 4D NIfTI images.

    Parameters
    ----------
    input_files : str or sequence of str
        4D NIfTI images, or one wildcard pattern (naturally sorted).
    roi_file : str
        Atlas, mask, probabilistic maps, coordinates table or ``nilearn:`` query.
    output_dir : str, optional
        When given, write ``<stem>_timeseries.tsv``, its JSON sidecar,
        ``<stem>_coverage.tsv``, ``niimasker_data/parameters.json`` and (with
        ``report``) ``report.html`` there.
    mask_img, labels, regressor_files, regressors, as_voxels, radius, \
allow_overlap, strategy, standardize, standardize_confounds, t_r, high_pass, \
low_pass, detrend, smoothing_fwhm, discard_scans, nan_policy, motion, wm_csf, \
global_signal, scrub, fd_threshold, std_dvars_threshold, compcor, n_compcor, \
ica_aroma, demean, output_volumes, report, n_jobs
        See ``niimasker -h``; names, defaults and checks are in
        :data:`niimasker_core.settings.PARAMETERS`.
    config : str or mapping, optional
        JSON config path or mapping; its values override the arguments above
        (a warning names each override).
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    command : str, optional
        Command line to record in parameters.json.

    Returns
    -------
    dict
        ``timeseries``: one dict per image with ``file``, ``stem``,
        ``columns``, ``values`` (bytearray, float64, column-major),
        ``shape`` ``[volumes, columns]``, ``volumes`` (0-based image index of
        each row), ``t_r`` and ``sidecar``; ``failures``: dicts with
        ``file``, ``error_type``, ``message``; ``parameters``: everything
        resolved (as in parameters.json); ``output_dir``.

    Raises
    ------
    NiimaskerError
        For bad settings or ROIs, or when every image fails (the first
        image's error is raised again).
    """
    given = {
        name: value
        for name, value in {
            "input_files": input_files,
            "roi_file": roi_file,
            "mask_img": mask_img,
            "labels": labels,
            "regressor_files": regressor_files,
            "regressors": regressors,
            "as_voxels": as_voxels,
            "radius": radius,
            "allow_overlap": allow_overlap,
            "strategy": strategy,
            "data_dir": data_dir,
            "standardize": standardize,
            "standardize_confounds": standardize_confounds,
            "t_r": t_r,
            "high_pass": high_pass,
            "low_pass": low_pass,
            "detrend": detrend,
            "smoothing_fwhm": smoothing_fwhm,
            "discard_scans": discard_scans,
            "nan_policy": nan_policy,
            "motion": motion,
            "wm_csf": wm_csf,
            "global_signal": global_signal,
            "scrub": scrub,
            "fd_threshold": fd_threshold,
            "std_dvars_threshold": std_dvars_threshold,
            "compcor": compcor,
            "n_compcor": n_compcor,
            "ica_aroma": ica_aroma,
            "demean": demean,
            "output_volumes": output_volumes,
            "report": report,
            "n_jobs": n_jobs,
        }.items()
        if value is not None and value != _DEFAULTS[name]
    }
    return run_with_values(
        given, config, output_dir, progress=progress, command=command
    )


def run_with_values(
    given: Mapping[str, Any],
    config: str | Mapping[str, Any] | None,
    output_dir: str | None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Merge explicit values with a config, run the batch and return plain types.

    This is the shared path of :func:`extract_timeseries` and the command.
    """
    values = merge_config(given, load_config(config))
    settings = make_settings(values)
    batch = run_batch(
        settings,
        None if output_dir is None else str(Path(output_dir)),
        progress=progress,
        command=command,
    )
    if batch.failures and not batch.results:
        _raise_first_failure(batch)
    return _to_plain(batch, output_dir)


def plan_with_values(
    given: Mapping[str, Any], config: str | Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Return which image goes with which confounds file, TR and output, reading no image data.

    This is the command's ``--dry_run``: the settings are validated, patterns
    expanded, confounds paired and TRs resolved (sidecar or header), exactly as
    a run would.

    Returns
    -------
    list of dict
        One dict per image: ``image``, ``confounds``, ``paired_by``, ``t_r``,
        ``t_r_source``, ``output``.
    """
    from .inputs import plan_runs

    settings = make_settings(merge_config(given, load_config(config)))
    return [
        {
            "image": p.image,
            "confounds": p.confounds,
            "paired_by": p.pairing,
            "t_r": p.t_r,
            "t_r_source": p.t_r_source,
            "output": f"{p.stem}_timeseries.tsv",
        }
        for p in plan_runs(settings)
    ]


def _raise_first_failure(batch: BatchResult) -> None:
    raise batch.failures[0].exception


def _to_plain(batch: BatchResult, output_dir: str | None) -> dict[str, Any]:
    return {
        "timeseries": [_result_to_plain(r) for r in batch.results],
        "failures": [
            {"file": f.image, "error_type": f.error_type, "message": f.message}
            for f in batch.failures
        ],
        "parameters": batch.parameters,
        "output_dir": None if output_dir is None else str(output_dir),
    }


def _result_to_plain(result: ImageResult) -> dict[str, Any]:
    values = np.asarray(result.values, dtype=np.float64)
    return {
        "file": result.image,
        "stem": result.stem,
        "columns": list(result.columns),
        "values": bytearray(values.tobytes(order="F")),
        "shape": [int(values.shape[0]), int(values.shape[1])],
        "volumes": list(result.volumes),
        "t_r": result.t_r,
        "sidecar": result.sidecar,
        "files": list(result.files),
    }


def nilearn_atlas(query: str, data_dir: str | None = None) -> dict[str, Any]:
    """Fetch the atlas a ``nilearn:<atlas>:<parameters>`` query names.

    Parameters
    ----------
    query : str
        For example ``"nilearn:schaefer:400-17-2"``, ``"nilearn:yeo:thick_7"``,
        ``"nilearn:difumo:64-2"`` or ``"nilearn:msdl"``.
    data_dir : str, optional
        nilearn's data folder; None uses ``$NILEARN_DATA`` or ``~/nilearn_data``.
        The atlas is downloaded there once.

    Returns
    -------
    dict
        ``query``; ``atlas`` (its short name); ``image`` (path of the NIfTI);
        ``kind`` (``"labels"`` for a 3D labelled atlas, ``"maps"`` for a 4D
        probabilistic one); ``labels``: ``{"index": [...], "name": [...]}``,
        the label values (or 1-based map numbers) and names, background
        excluded.

    Raises
    ------
    AtlasQueryError
        If the query is malformed; the message lists the valid atlases.
    AtlasFetchError
        If nilearn cannot download the atlas.

    Examples
    --------
    >>> nilearn_atlas("nilearn:yeo:thick_7")["kind"]  # doctest: +SKIP
    'labels'
    """
    from .rois.atlas_query import fetch_query

    return fetch_query(query, None if data_dir is None else str(data_dir)).to_dict()


def timeseries_to_array(item: Mapping[str, Any]) -> np.ndarray:
    """Rebuild the ``(volumes, columns)`` float64 array of one ``timeseries`` item.

    Parameters
    ----------
    item : mapping
        One element of ``extract_timeseries(...)["timeseries"]``.

    Returns
    -------
    numpy.ndarray
        The cleaned timeseries.
    """
    rows, cols = item["shape"]
    return np.frombuffer(bytes(item["values"]), dtype=np.float64).reshape(
        (rows, cols), order="F"
    )
