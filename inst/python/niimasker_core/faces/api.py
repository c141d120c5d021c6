"""The functions Python users, the command and the R bridge call.

:func:`extract_timeseries` returns an
:class:`~niimasker_core.batch.results.ExtractionResult` (a pandas DataFrame per
image and ROI set, with its metadata); :mod:`niimasker_core.faces.r_bridge` turns
it into the plain types (bytes plus shape) the R package reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..batch.plan import plan_runs
from ..batch.readback import read_folder
from ..batch.results import ExtractionResult
from ..batch.run import BatchResult, run_batch, select_shard
from ..errors import NiimaskerError, SettingsError
from ..params.config import load_config, merge_config
from ..params.declarations import PARAMETERS
from ..params.docs import document_parameters
from ..params.options import RunOptions
from ..params.settings import Settings, make_settings, unknown_names_message
from ..rois.atlas_query import fetch_query
from ..rois.sets import split_sets

__all__ = [
    "extract_timeseries",
    "nilearn_atlas",
    "plan_extraction",
    "plan_settings",
    "read_timeseries",
    "resolve_settings",
    "run_with_values",
]

#: Keywords of the Python interface that are not parameters (no config key).
_FACE_PARAMETERS = (
    inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation="str | Mapping[str, Any] | None"),
    inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation="Callable[[int, int, str], None] | None"),
    inspect.Parameter("command", inspect.Parameter.KEYWORD_ONLY, default=None,
                      annotation="str | None"),
)  # fmt: skip


def _signature(faces: Sequence[str], returns: str) -> inspect.Signature:
    """Build a signature from the declarations: the real names and defaults."""
    params = [
        inspect.Parameter(
            p.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD
            if p.positional
            else inspect.Parameter.KEYWORD_ONLY,
            default=p.default,
            annotation=p.annotation,
        )
        for p in PARAMETERS
    ]
    params += [face for face in _FACE_PARAMETERS if face.name in faces]
    return inspect.Signature(params, return_annotation=returns)


def _bind(
    signature: inspect.Signature, args: tuple, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a call into the parameters given explicitly and the face keywords.

    A parameter passed as None counts as not given (None means "not set");
    any other explicit value, a default included, is given.

    Raises
    ------
    SettingsError
        For a keyword that is not a parameter (with the closest name).
    """
    unknown = set(kwargs) - set(signature.parameters)
    if unknown:
        raise SettingsError(unknown_names_message(unknown, "Unknown parameter(s)"))
    bound = signature.bind(*args, **kwargs).arguments
    names = {p.name for p in PARAMETERS}
    given = {k: v for k, v in bound.items() if k in names and v is not None}
    faces = {k: v for k, v in bound.items() if k not in names}
    return given, faces


@document_parameters
def extract_timeseries(*args: Any, **kwargs: Any) -> ExtractionResult:
    """Extract cleaned ROI timeseries from one or more 4D NIfTI images.

    Every parameter below is declared once
    (:data:`niimasker_core.params.declarations.PARAMETERS`): the same name,
    default and meaning as the command's ``--name`` flag, the config key and
    the R argument. ``None`` means not set. With ``output_dir``, the
    outputs are ``<stem>_timeseries.tsv``, its JSON sidecar,
    ``<stem>_coverage.tsv``, with ``connectivity`` one
    ``<stem>_<kind>_relmat.tsv`` (and ``.json``) per kind,
    ``niimasker_data/parameters.json`` and (with ``report``) ``report.html``.
    Each item's ``connectivity`` holds the matrices as DataFrames.

    Parameters
    ----------
    {parameters}
    config : str or mapping, optional
        JSON config path or mapping; its values override the arguments above
        (a warning names each override, explicit defaults included).
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    command : str, optional
        Command line to record in parameters.json.

    Returns
    -------
    ExtractionResult
        ``timeseries``: one :class:`~niimasker_core.batch.results.ImageTimeseries`
        per image and ROI set, whose ``data`` is a pandas DataFrame (rows =
        kept volumes indexed by their 0-based number in the image, one column
        per region named as in the TSV) beside ``file``, ``stem``, ``atlas``,
        ``sidecar``, ``t_r``, ``t_r_source``, ``files`` and ``skipped``;
        ``failures``: the images that failed (``file``, ``error_type``,
        ``message``); ``parameters``: everything resolved (as in
        parameters.json); ``output_dir``; ``skipped``: the images whose
        outputs were already complete (their values read back from the
        tables); ``seconds``: the batch's wall time; ``mask_img``: for voxel
        extraction, the mask (``brain_models``: a surface run's grayordinates).
        Iterating over the result, ``len()`` and ``result[i]`` go over
        ``timeseries``.

    Examples
    --------
    >>> result = extract_timeseries(["sub-01_bold.nii.gz"], "atlas.nii.gz", t_r=2)  # doctest: +SKIP
    >>> result[0].data.head()  # doctest: +SKIP

    Raises
    ------
    SettingsError
        For an unknown keyword (the message suggests the closest name).
    NiimaskerError
        For bad settings or ROIs, or when every image fails (the first
        image's error class, its message listing every image's failure).
    """
    given, faces = _bind(_RUN_SIGNATURE, args, kwargs)
    return run_with_values(
        given,
        faces.get("config"),
        progress=faces.get("progress"),
        command=faces.get("command"),
    )


_RUN_SIGNATURE = _signature(("config", "progress", "command"), "ExtractionResult")
extract_timeseries.__signature__ = _RUN_SIGNATURE  # type: ignore[attr-defined]


def resolve_settings(
    given: Mapping[str, Any], config: str | Mapping[str, Any] | None
) -> Settings:
    """Merge explicit values with a config (the config wins) and validate them."""
    return make_settings(merge_config(given, load_config(config)))


def run_with_values(
    given: Mapping[str, Any] | Settings,
    config: str | Mapping[str, Any] | None = None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    command: str | None = None,
    raise_if_all_failed: bool = True,
    on_image: Callable[[Any], None] | None = None,
    with_values: bool = True,
) -> ExtractionResult:
    """Merge explicit values with a config, run the batch and return its results.

    This is the shared path of :func:`extract_timeseries` and the command.

    Parameters
    ----------
    given : mapping or Settings
        Parameters given explicitly, or already resolved settings.
    config : str or mapping, optional
        The JSON config; its values win.
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    command : str, optional
        Command line to record in parameters.json.
    raise_if_all_failed : bool
        Raise when every image failed (the command reports them itself).
    on_image : callable, optional
        Called with each image's outcome (see :func:`~niimasker_core.batch.run.run_batch`).
    with_values : bool
        Keep each image's values as its ``data`` (shared, not copied); the
        command, which only reports what it wrote, passes False so the
        values (large for voxels) and the sidecar are dropped as each image
        finishes (memory flat in the number of images): ``data`` is None,
        ``sidecar`` empty.

    Returns
    -------
    ExtractionResult
        As :func:`extract_timeseries`.
    """
    settings = given if isinstance(given, Settings) else resolve_settings(given, config)
    output_dir = settings.output_dir
    batch = run_batch(
        settings,
        None if output_dir is None else str(Path(output_dir)),
        progress=progress,
        command=command,
        on_image=on_image,
        keep_values=with_values,
    )
    if raise_if_all_failed and batch.failures and not batch.results:
        _raise_every_failure(batch)
    return ExtractionResult.from_batch(batch, output_dir, with_values=with_values)


@document_parameters
def plan_extraction(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Return which image goes with which confounds file, TR and output, reading no image data.

    This is the command's ``--dry_run``: it takes the keywords of
    :func:`extract_timeseries`, and the settings are validated, patterns
    expanded, confounds paired and TRs resolved (sidecar or header), exactly
    as a run would.

    Parameters
    ----------
    {parameters}
    config : str or mapping, optional
        JSON config path or mapping; its values override the arguments above.

    Returns
    -------
    list of dict
        One dict per image: ``image``, ``confounds``, ``paired_by``, ``t_r``,
        ``t_r_source``, ``output``.

    Raises
    ------
    NiimaskerError
        For bad settings, missing files or confounds that do not pair.
    """
    given, faces = _bind(_PLAN_SIGNATURE, args, kwargs)
    return plan_settings(resolve_settings(given, faces.get("config")))


_PLAN_SIGNATURE = _signature(("config",), "list[dict[str, Any]]")
plan_extraction.__signature__ = _PLAN_SIGNATURE  # type: ignore[attr-defined]


def plan_settings(settings: Settings) -> list[dict[str, Any]]:
    """Return :func:`plan_extraction`'s table for already resolved settings."""
    options = RunOptions.from_settings(settings)
    # labels and mask_img keyed by the ROI sets' names
    first = next(iter(split_sets(options.rois)), ("rois", None))[0]
    return [
        {
            "image": p.image,
            "confounds": p.confounds,
            "paired_by": p.pairing,
            "t_r": p.t_r,
            "t_r_source": p.t_r_source,
            "output": p.names(first).timeseries(),
        }
        for p in select_shard(plan_runs(settings, options.confounds), settings.shard)
    ]


def _raise_every_failure(batch: BatchResult) -> None:
    """Raise the first failure's class with every image's failure in the message."""
    first = batch.failures[0].exception
    if len(batch.failures) == 1:
        raise first
    lines = [f"All {len(batch.failures)} images failed:"] + [
        f"{f.image}: {f.error_type}: {f.message}" for f in batch.failures
    ]
    if isinstance(first, NiimaskerError):
        raise type(first)("\n".join(lines)) from first
    first.add_note("\n".join(lines[:1] + lines[2:]))
    raise first


def read_timeseries(output_dir: str | Path) -> ExtractionResult:
    """Read back the timeseries the command or ``extract_timeseries(output_dir=)`` wrote.

    Parameters
    ----------
    output_dir : str or Path
        The folder holding ``<stem>_timeseries.tsv`` files, their JSON
        sidecars and ``niimasker_data/parameters.json`` (from this machine or
        another).

    Returns
    -------
    ExtractionResult
        As :func:`extract_timeseries` returns it, one item per image and ROI
        set, with no failures; values as written (9 significant digits).

    Raises
    ------
    ImageNotFoundError
        If the folder holds no niimasker output.

    Examples
    --------
    >>> result = read_timeseries("derivatives/niimasker")  # doctest: +SKIP
    >>> result[0].data.head()  # doctest: +SKIP
    """
    return read_folder(output_dir)


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
    return fetch_query(query, None if data_dir is None else str(data_dir)).to_dict()
