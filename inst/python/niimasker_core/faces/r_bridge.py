"""The one module the R package calls: the API's results plus its warnings, as plain types.

reticulate 1.28 neither turns Python warnings into R conditions nor gives
Python exceptions a class, so each call here runs the API under
:func:`warnings.catch_warnings` and returns, beside the result, every warning
and (for a :class:`~niimasker_core.errors.NiimaskerError`) the error, each
with its class names, its message worded for R and its parts. The API's
:class:`~niimasker_core.batch.results.ExtractionResult` crosses as plain types:
numeric blocks as ``bytearray`` (float64, column-major) plus shape, so R
never depends on numpy or pandas conversion (reticulate 1.28 cannot convert
numpy 2 arrays); :func:`timeseries_to_array` rebuilds one in Python.
"""

from __future__ import annotations

import re
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.cifti2 import cifti2_axes

from .. import errors
from ..batch.results import ExtractionResult, ImageTimeseries
from ..domains.registry import open_image, reader_of
from ..domains.surface.grayordinates import brain_model_axis
from ..errors import NiimaskerError, SettingsError, Worded
from ..io.bids import parse_entities
from ..io.surface_outputs import write_dense_scalars, write_dense_series
from ..io.writers import write_nifti
from ..params.config import load_config
from ..params.declarations import PARAMETERS
from ..params.settings import canonical_key
from . import api

__all__ = [
    "extract_timeseries",
    "nilearn_atlas",
    "r_idiom",
    "read_timeseries",
    "timeseries_to_array",
    "to_plain",
    "voxels_to_cifti",
    "voxels_to_nifti",
    "write_grayordinates",
    "write_voxels",
]

_FACE = "r"

# Python's idiom in messages that are plain text (not templates with parts), and R's words:
# a parameter 'name' or --name (with a number: --t_r 2) is `name` (`t_r = 2`), name='x' or
# name=True is `name = "x"` / `name = TRUE`, a list of strings ['a', 'b'] is c("a", "b"),
# and inf, -inf, nan are Inf, -Inf, NaN.
_NAMES = "|".join(
    sorted((re.escape(p.name) for p in PARAMETERS), key=len, reverse=True)
)
_QUOTED_NAME = re.compile(rf"'({_NAMES})'")
_FLAG = re.compile(rf"(?<![\w-])--({_NAMES})\b(?: (-?\d+(?:\.\d+)?))?")
_KEYWORD = re.compile(rf"\b({_NAMES})=('[^']*'|True|False|None|-?\d+(?:\.\d+)?)")
_STRING_LIST = re.compile(r"\[('[^'\]]*'(?:, '[^'\]]*')*)\]")
_NON_FINITE = re.compile(r"(?<![\w.])(-?)(inf|nan)\b")
_R_LITERAL = {"True": "TRUE", "False": "FALSE", "None": "NULL"}


def r_idiom(text: str | None) -> str | None:
    """Word a message written in Python's idiom as R users read it.

    Templates with parts are worded for R already (:meth:`Worded.render`);
    this turns the rest, plain messages and the messages of other libraries,
    into the same idiom: parameters in backticks, R literals, no Python lists.

    Parameters
    ----------
    text : str or None
        A message.

    Returns
    -------
    str or None
        The message in R's idiom (None stays None).
    """
    if not text:
        return text

    def keyword(match: re.Match[str]) -> str:
        value = match.group(2)
        value = _R_LITERAL.get(value, value)
        if value.startswith("'"):
            value = '"' + value[1:-1] + '"'
        return f"`{match.group(1)} = {value}`"

    def flag(match: re.Match[str]) -> str:
        name, value = match.groups()
        return f"`{name}`" if value is None else f"`{name} = {value}`"

    def strings(match: re.Match[str]) -> str:
        items = re.findall(r"'([^']*)'", match.group(1))
        return "c(" + ", ".join(f'"{item}"' for item in items) + ")"

    def non_finite(match: re.Match[str]) -> str:
        sign, word = match.groups()
        return f"{sign}Inf" if word == "inf" else "NaN"

    text = _STRING_LIST.sub(strings, text)
    text = _KEYWORD.sub(keyword, text)
    text = _FLAG.sub(flag, text)
    text = _QUOTED_NAME.sub(r"`\1`", text)
    return _NON_FINITE.sub(non_finite, text)


def extract_timeseries(
    kwargs: Mapping[str, Any],
    progress: Callable[[int, int, str], None] | None = None,
    regions: bool = False,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run :func:`niimasker_core.faces.api.extract_timeseries` for R.

    Parameters
    ----------
    kwargs : mapping
        The API's keyword arguments.
    progress : callable, optional
        ``progress(done, total, image)`` after each image.
    regions : bool
        R's ``extract_timeseries()``: regions are asked for, so ``roi_file``
        must come from the arguments or the config (R's ``extract_voxels()``
        extracts every voxel).
    say : callable, optional
        ``say(line)``: with ``verbose`` (argument or config), called with one
        line per image (written, skipped or failed), as the command prints.

    Returns
    -------
    dict
        ``result`` (the API's result as plain types, see :func:`to_plain`,
        each timeseries item with its BIDS ``entities``), ``warnings`` and
        ``error`` (see :func:`_describe`).
    """

    def run() -> dict[str, Any]:
        if regions:
            _check_roi_file(kwargs)
        # as api.extract_timeseries binds them: None means not given
        given = {k: v for k, v in kwargs.items() if k != "config" and v is not None}
        settings = api.resolve_settings(given, kwargs.get("config"))
        lines = None
        if say is not None and settings.verbose:
            lines = lambda outcome: say(_outcome_line(outcome))  # noqa: E731
        result = api.run_with_values(settings, progress=progress, on_image=lines)
        return _with_entities(to_plain(result))

    return _call(run)


def _outcome_line(outcome: Any) -> str:
    """Return R's verbose line for one image: written, skipped or failed."""
    if getattr(outcome, "error_type", None) is not None:
        status = "failed"
    else:
        status = "skipped (up to date)" if outcome.skipped else "done"
    return f"{status}: {outcome.image} ({outcome.seconds:.1f} s)"


def _check_roi_file(kwargs: Mapping[str, Any]) -> None:
    """Refuse ``roi_file = NULL`` when the config gives none either (R's help says so)."""
    if kwargs.get("roi_file") is not None:
        return
    config = load_config(kwargs.get("config"))
    if any(canonical_key(k) == "roi_file" and v is not None for k, v in config.items()):
        return
    raise SettingsError(
        "{parameter} is NULL and {--config} gives none, so there are no regions.",
        parameter="roi_file",
        value=None,
        fix="Give {parameter} (an atlas, a coordinates table or a nilearn query); "
        "to extract every voxel of a mask, use extract_voxels().",
    )


def nilearn_atlas(query: str, data_dir: str | None = None) -> dict[str, Any]:
    """Run :func:`niimasker_core.faces.api.nilearn_atlas` for R, naming ``query`` in errors.

    Returns
    -------
    dict
        As :func:`extract_timeseries`.
    """

    def fetch() -> dict[str, Any]:
        try:
            return api.nilearn_atlas(query, data_dir)
        except errors.AtlasQueryError as exc:
            if exc.parameter == "roi_file":
                exc.parameter = "query"  # nilearn_atlas()'s argument
            raise

    return _call(fetch)


def voxels_to_nifti(**kwargs: Any) -> dict[str, Any]:
    """Run :func:`write_voxels` for R's ``voxels_to_nifti()``.

    Returns
    -------
    dict
        As :func:`extract_timeseries`; ``result`` is the file written.
    """
    return _call(lambda: write_voxels(**kwargs))


def read_timeseries(output_dir: str) -> dict[str, Any]:
    """Read a folder written by the command or ``extract_timeseries(output_dir=)``.

    Parameters
    ----------
    output_dir : str
        The folder holding ``<stem>_timeseries.tsv`` files, their JSON
        sidecars and ``niimasker_data/parameters.json``.

    Returns
    -------
    dict
        As :func:`extract_timeseries`, ``result`` in the same plain form
        (values as ``bytearray``, ``volumes`` 0-based), with no ``failures``.
    """
    return _call(lambda: _with_entities(to_plain(api.read_timeseries(output_dir))))


def to_plain(result: ExtractionResult) -> dict[str, Any]:
    """Return an extraction's result as the plain types R reads.

    Parameters
    ----------
    result : ExtractionResult
        What :func:`niimasker_core.faces.api.extract_timeseries` returned.

    Returns
    -------
    dict
        ``timeseries``: one dict per image and ROI set with ``file``,
        ``stem``, ``columns``, ``values`` (bytearray, float64, column-major),
        ``shape`` ``[volumes, columns]``, ``volumes`` (0-based image index of
        each row), ``t_r``, ``sidecar``, ``files``, ``skipped``,
        ``atlas`` and ``connectivity`` (one dict per kind: ``kind``,
        ``nodes``, ``values``, a square block as bytes); ``failures``:
        dicts with ``file``, ``error_type``, ``message``; ``parameters``;
        ``output_dir``; ``skipped``; ``seconds``; and for voxel extraction ``mask`` (see
        :func:`_mask_to_plain`).
    """
    plain = {
        "timeseries": [_item_to_plain(item) for item in result.timeseries],
        "failures": [
            {
                "file": f.file,
                "error_type": f.error_type,
                "message": r_idiom(f.message_for(_FACE)),
            }
            for f in result.failures
        ],
        "parameters": result.parameters,
        "output_dir": result.output_dir,
        "skipped": list(result.skipped),
        "seconds": result.seconds,
    }
    if result.mask_img is not None:
        plain["mask"] = _mask_to_plain(result.mask_img)
    if result.brain_models is not None:
        plain["grayordinates"] = _grayordinates_to_plain(result.brain_models)
    return plain


def _item_to_plain(item: ImageTimeseries) -> dict[str, Any]:
    values = item.to_numpy()  # the engine's array itself: one copy, to bytes
    return {
        "file": item.file,
        "stem": item.stem,
        "columns": item.columns,
        "values": bytearray(values.tobytes(order="F")),
        "shape": [int(values.shape[0]), int(values.shape[1])],
        "volumes": item.volumes,
        "t_r": item.t_r,
        "sidecar": item.sidecar,
        "files": list(item.files),
        "skipped": item.skipped,
        "atlas": item.atlas,
        "connectivity": [
            {
                "kind": kind,
                "nodes": [str(n) for n in frame.index],
                "values": bytearray(
                    frame.to_numpy(dtype=np.float64).tobytes(order="F")
                ),
            }
            for kind, frame in item.connectivity.items()
        ],
    }


def _mask_to_plain(mask_img: Any) -> dict[str, Any]:
    """Return the voxel mask as bytes (uint8, column-major), its shape and affine."""
    data = np.asanyarray(mask_img.dataobj).astype(bool).astype(np.uint8)
    return {
        "values": bytearray(data.tobytes(order="F")),
        "shape": [int(n) for n in data.shape],
        "affine": [[float(v) for v in row] for row in mask_img.affine],
    }


def _grayordinates_to_plain(models: Any) -> dict[str, Any]:
    """Return each grayordinate's structure, vertex and voxel (int32 bytes, -1: none)."""
    names, counts = [], []
    for name, _, structure in models.iter_structures():
        names.append(name.removeprefix("CIFTI_STRUCTURE_"))
        counts.append(len(structure))
    voxels = np.asarray(models.voxel, dtype=np.int32)
    return {
        "structures": names,
        "counts": counts,
        "vertex": bytearray(np.asarray(models.vertex, dtype=np.int32).tobytes()),
        "voxel": bytearray(voxels.tobytes(order="F")),
        "affine": None
        if models.affine is None
        else [[float(v) for v in row] for row in models.affine],
    }


def timeseries_to_array(item: Mapping[str, Any]) -> np.ndarray:
    """Rebuild the ``(volumes, columns)`` float64 array of one plain timeseries item.

    Parameters
    ----------
    item : mapping
        One element of ``to_plain(...)["timeseries"]`` (or of
        ``extract_timeseries(...)["result"]["timeseries"]`` here).

    Returns
    -------
    numpy.ndarray
        The cleaned timeseries.
    """
    rows, cols = item["shape"]
    return np.frombuffer(bytes(item["values"]), dtype=np.float64).reshape(
        (rows, cols), order="F"
    )


def write_voxels(
    values: bytes,
    shape: list[int],
    mask_values: bytes,
    mask_shape: list[int],
    affine: list[list[float]],
    file: str,
) -> str:
    """Write voxel values back to a NIfTI image in the mask's space (zeros outside).

    R's ``voxels_to_nifti()`` calls this (through :func:`voxels_to_nifti`);
    values cross as bytes.

    Parameters
    ----------
    values : bytes
        float64 values, column-major: ``shape`` ``[n_voxels]`` (a 3D map) or
        ``[n_volumes, n_voxels]`` (a 4D image).
    shape : list of int
        Shape of ``values``.
    mask_values : bytes
        The mask, uint8 column-major, of ``mask_shape``.
    mask_shape : list of int
        Its three dimensions.
    affine : list of list of float
        Its 4x4 affine.
    file : str
        The ``.nii``/``.nii.gz`` to write.

    Returns
    -------
    str
        ``file``.

    Raises
    ------
    SettingsError
        If ``file`` is not a ``.nii``/``.nii.gz`` name, or the number of
        values does not match the mask's voxels.
    """
    if not str(file).lower().endswith((".nii", ".nii.gz")):
        raise SettingsError(
            "{parameter} is {value}, which is not a NIfTI file name.",
            parameter="file",
            value=str(file),
            fix="End it with .nii.gz (compressed) or .nii.",
        )
    mask = (
        np.frombuffer(bytes(mask_values), dtype=np.uint8)
        .reshape(tuple(mask_shape), order="F")
        .astype(bool)
    )
    shape = [int(n) for n in shape]
    data = np.frombuffer(bytes(values), dtype=np.float64).reshape(shape, order="F")
    n_voxels = int(mask.sum())
    if data.shape[-1] != n_voxels:
        raise SettingsError(
            f"'x' has {data.shape[-1]} values per volume but the mask has {n_voxels} "
            "voxels. Give one value per voxel (a vector) or a volumes x voxels matrix."
        )
    if data.ndim == 1:
        out = np.zeros(mask.shape, dtype=np.float32)
        out[mask] = data
    else:
        out = np.zeros((*mask.shape, data.shape[0]), dtype=np.float32)
        out[mask] = data.T
    write_nifti(file, nib.Nifti1Image(out, np.asarray(affine, dtype=float)))
    return str(file)


def _describe(item: Worded | BaseException) -> dict[str, Any]:
    """Return an error or warning as plain parts, its message worded for R.

    Parameters
    ----------
    item : Worded or BaseException
        A niimasker error or warning, or any other warning.

    Returns
    -------
    dict
        ``type`` (class name), ``classes`` (our classes in its MRO, most
        specific first), ``problem`` and ``fix`` (worded for R), ``message``
        (problem and fix), ``parameter``, ``file``, ``parts``.
    """
    ours = [
        c.__name__
        for c in type(item).__mro__
        if c.__module__ == errors.__name__ and c.__name__ in errors.__all__
    ]
    ours = [c for c in ours if c != "Worded"]
    if isinstance(item, Worded):
        problem, fix = r_idiom(item.problem_for(_FACE)), r_idiom(item.fix_for(_FACE))
        parts = {k: _plain(v) for k, v in item.parts.items()}
        parameter, file = item.parameter, item.file
    else:
        problem, fix, parts, parameter, file = r_idiom(str(item)), None, {}, None, None
    return {
        "type": type(item).__name__,
        "classes": ours,
        "problem": problem,
        "fix": fix,
        "message": problem if not fix else f"{problem} {fix}",
        "parameter": parameter,
        "file": file,
        "parts": parts,
    }


def _call(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    result, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        warnings.simplefilter("always", errors.NiimaskerWarning)
        try:
            result = run()
        except NiimaskerError as exc:
            error = {**_describe(exc), "traceback": traceback.format_exc()}
    return {
        "result": result,
        "warnings": [_describe(w.message) for w in caught],
        "error": error,
    }


def _with_entities(result: dict[str, Any]) -> dict[str, Any]:
    """Give each item its image's BIDS entities (a hemisphere pair's without ``hemi``)."""
    for item in result["timeseries"]:
        entities = parse_entities(item["file"])
        if len((item.get("sidecar") or {}).get("Sources") or ()) > 1:
            entities.pop("hemi", None)
        item["entities"] = entities
    return result


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def voxels_to_cifti(**kwargs: Any) -> dict[str, Any]:
    """Run :func:`write_grayordinates` for R's ``voxels_to_cifti()``.

    Returns
    -------
    dict
        As :func:`extract_timeseries`; ``result`` is the file written.
    """
    return _call(lambda: write_grayordinates(**kwargs))


def write_grayordinates(
    values: bytes,
    shape: list[int],
    template: str,
    file: str,
    t_r: float | None = None,
    map_names: list[str] | None = None,
) -> str:
    """Write grayordinate values as a CIFTI-2 file on a template's brain models.

    R's ``voxels_to_cifti()`` calls this (through :func:`voxels_to_cifti`).

    Parameters
    ----------
    values : bytes
        float64 values, column-major, of ``shape``: ``[grayordinates, maps]``
        for a ``.dscalar.nii`` (one column per map), ``[volumes,
        grayordinates]`` for a ``.dtseries.nii``.
    shape : list of int
        Two dimensions, or one (a vector: one map, or one volume).
    template : str
        A dense CIFTI file (``.dtseries.nii``, ``.dscalar.nii``,
        ``.dlabel.nii``) whose brain models the values follow, in order, or
        a GIFTI run's ``.func.gii`` (with its other hemisphere when it has one).
    file : str
        The ``.dscalar.nii`` or ``.dtseries.nii`` to write.
    t_r : float or None
        The series step of a ``.dtseries.nii`` (None: the template's, else 1).
    map_names : list of str or None
        The maps' names of a ``.dscalar.nii`` (None: ``map_1``...).

    Returns
    -------
    str
        ``file``.

    Raises
    ------
    SettingsError
        If ``file`` is neither kind, or the values do not fit the template.
    InputFileError
        If ``template`` is not a dense CIFTI file.
    """
    scalars = str(file).endswith(".dscalar.nii")
    shape = [int(n) for n in shape]
    if len(shape) == 1:  # a vector: one map, or one volume
        shape = [shape[0], 1] if scalars else [1, shape[0]]
    rows, cols = shape
    data = np.frombuffer(bytes(values), dtype=np.float64).reshape(
        (rows, cols), order="F"
    )
    models, step = _template_models(template)
    if not scalars and not str(file).endswith(".dtseries.nii"):
        raise SettingsError(
            f"'file' is '{file}': give a .dscalar.nii (maps) or a .dtseries.nii "
            "(a timeseries) file name."
        )
    along = rows if scalars else cols
    if along != len(models):
        what = "rows (one per grayordinate)" if scalars else "columns"
        raise SettingsError(
            f"'x' has {along} {what} but '{template}' has {len(models)} "
            "grayordinates. Give one value per grayordinate, in the order of "
            "extract_voxels()."
        )
    if scalars:
        names = list(map_names or [f"map_{i + 1}" for i in range(cols)])
        write_dense_scalars(file, data.T, models, names)
    else:
        write_dense_series(file, data, models, t_r or step, [0])
    return str(file)


def _template_models(template: str) -> tuple[Any, float | None]:
    """Return a template's brain models and its series step (None: not a series).

    A GIFTI run is read with its other hemisphere, as the batch reads it.
    """
    if str(template).endswith(".gii"):
        reader = reader_of(template)
        other = reader.other_half(template)
        image = open_image(template, (other,) if Path(other).is_file() else ())
        return brain_model_axis(image.domain), reader.header_t_r(template)
    try:
        img = nib.load(template)
        rows, models = img.header.get_axis(0), img.header.get_axis(1)
    except FileNotFoundError:
        raise errors.ImageNotFoundError(
            f"'template' not found: '{template}'. Check the path."
        ) from None
    except Exception:
        raise errors.InputFileError(
            f"'template' '{template}' is not a CIFTI-2 file. Give a dense CIFTI "
            "file (.dtseries.nii, .dscalar.nii or .dlabel.nii) with the "
            "grayordinates of the values."
        ) from None
    if not isinstance(models, cifti2_axes.BrainModelAxis):
        raise errors.InputFileError(
            f"'template' '{template}' is a parcellated CIFTI file; give a dense one "
            "(.dtseries.nii, .dscalar.nii or .dlabel.nii)."
        )
    step = rows.step if isinstance(rows, cifti2_axes.SeriesAxis) else None
    return models, step
