"""The report's HTML sections: header, parameters, ROI overlay and one section per image."""

from __future__ import annotations

import functools
import html
import json
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from ...domains.registry import open_image
from ...errors import ReportWarning
from ...io.formats import OutputNames
from . import overlay

__all__ = [
    "MAX_CARPET_ROWS",
    "MAX_CORRELATION_COLUMNS",
    "MAX_LEGEND",
    "MAX_LINES",
    "MEAN_VOLUMES",
    "header",
    "image_section",
    "MeanCorrelations",
    "overlay_section",
    "parameters_parts",
    "parameters_section",
    "safely",
]

#: Largest number of columns for which a correlation matrix is drawn.
MAX_CORRELATION_COLUMNS = 1000
#: Rows of the carpet plot at most (voxel outputs are subsampled evenly).
MAX_CARPET_ROWS = 1000
#: Region timeseries drawn as lines.
MAX_LINES = 8
#: Regions whose colour swatch is shown; the rest are folded away.
MAX_LEGEND = 40
#: Volumes averaged for the overlay's background.
MEAN_VOLUMES = 10


def _e(value: Any) -> str:
    return html.escape(str(value))


def _value(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return _e(json.dumps(value))
    return _e("-" if value is None else value)


def _table(rows: list[tuple[Any, ...]], head: tuple[str, ...]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(_row(row) for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _row(row: tuple[Any, ...]) -> str:
    return "<tr>" + "".join(f"<td>{_value(c)}</td>" for c in row) + "</tr>"


def _img(png: bytes, figures: ModuleType, alt: str, css: str) -> str:
    return f'<img class="{css}" alt="{_e(alt)}" src="{figures.data_uri(png)}">'


def safely(what: str, draw: Callable[[], str]) -> str:
    """Return ``draw()``, or a visible note (and a logged warning) if it fails."""
    try:
        return draw()
    except Exception as exc:
        warnings.warn(
            ReportWarning(
                "Report: {what:text} could not be drawn ({problem:text}).",
                what=what,
                problem=f"{type(exc).__name__}: {exc}",
            ),
            stacklevel=2,
        )
        problem = f"{type(exc).__name__}: {exc}"
        return f'<p class="note">{_e(what)} could not be drawn: {_e(problem)}</p>'


def header(
    parameters: dict[str, Any], n_done: int, failures: list[Any], when: str
) -> str:
    """Return the report's header: version, time, command line and image counts."""
    command = parameters.get("command") or "(called from Python or R; no command line)"
    items = [
        f"<li>niimasker {_e(parameters.get('niimasker_version'))}, written {_e(when)}</li>",
        f"<li>Command: <code>{_e(command)}</code></li>",
        f"<li>Images done: <b>{n_done}</b>; failed: <b>{len(failures)}</b></li>",
    ]
    out = "<ul>" + "".join(items) + "</ul>"
    if failures:
        lines = "".join(
            f"<li><code>{_e(f.image)}</code>: {_e(f.error_type)}: "
            f"{_e(str(f.message).splitlines()[0] if f.message else '')}</li>"
            for f in failures
        )
        out += f'<h3>Failed images</h3><ul class="failures">{lines}</ul>'
    return out


def parameters_section(parameters: dict[str, Any]) -> str:
    """Return every resolved parameter, the ROI description and the run pairing."""
    return "".join(parameters_parts(parameters))


def parameters_parts(parameters: dict[str, Any]) -> Iterator[str]:
    """Yield :func:`parameters_section` piece by piece: the runs' table a row at a time.

    A batch of 10,000 runs writes its table without ever holding it whole.
    """
    settings = parameters.get("parameters", {})
    yield "<h2>Parameters</h2>"
    yield _table(list(settings.items()), ("parameter", "value"))
    roi = dict(parameters.get("roi", {}))
    regions = roi.pop("regions", [])
    yield "<h3>Regions of interest</h3>"
    yield _table(list(roi.items()) + [("regions", len(regions))], ("", ""))
    if regions:
        head = tuple(regions[0])
        rows = [tuple(r.get(k) for k in head) for r in regions]
        yield (
            f"<details><summary>All {len(regions)} regions</summary>"
            f"{_table(rows, head)}</details>"
        )
    head = ("image", "confounds", "paired_by", "t_r", "t_r_source", "output")
    yield "<h3>Runs: image, confounds, TR and output</h3>"
    yield _table([], head).removesuffix("</tbody></table>")
    for run in parameters.get("runs", []):
        yield _row(tuple(run.get(k) for k in head))
    yield "</tbody></table>"
    versions = parameters.get("package_versions", {})
    if versions:
        yield "<h3>Package versions</h3>"
        yield _table(list(versions.items()), ("", ""))


def _streamed_mean(result: Any) -> tuple[np.ndarray | None, int]:
    """Return the mean its image's stream made, when it averaged the volumes wanted.

    Those are the first :data:`MEAN_VOLUMES` kept volumes. The stream
    averaged the first volumes it read: the same, unless volumes among them
    were censored (scrubbing, ``sample_mask``).
    """
    made = getattr(result, "volume_mean", None)
    if made is None:
        return None, 0
    mean, volumes = made
    wanted = overlay.averaged_volumes(result.volumes, MEAN_VOLUMES)
    return (mean, len(volumes)) if volumes == wanted else (None, 0)


def overlay_section(
    result: Any, roi: Any, figures: ModuleType, *, surf_mesh: str | None = None
) -> str:
    """Return the ROI overlay on the mean of the first image's kept volumes.

    A surface run's regions are drawn on its mesh instead: ``surf_mesh`` (the
    user's GIFTI mesh) or, by default, one the report knows.
    """
    if surf_mesh:
        figures = _with_surf_mesh(figures, surf_mesh)
    files = (result.sidecar or {}).get("Sources") or [result.image]
    image = open_image(files[0], tuple(files[1:]))  # a 3D image is one volume
    domain = image.domain
    drawn, mean, n_used = None, None, 0
    if domain.draws_regions:
        reduction = roi.for_domain(domain)
        regions, names, note = overlay.region_labels(roi, reduction, domain)
        if getattr(domain, "draws_on_mean", True):
            mean, n_used = _streamed_mean(result)
            if mean is None:  # not averaged as it streamed: read again
                mean, n_used = overlay.mean_volume(image, result.volumes, MEAN_VOLUMES)
        drawn = domain.draw_overlay(mean, regions, figures)
    if drawn is None or drawn[0] is None:
        why = (
            "Regions are drawn on volume images only; the signals of each image "
            "are below."
            if drawn is None
            else drawn[1]
        )
        return f'<h2>{_overlay_heading(mean, domain)}</h2><p class="note">{_e(why)}</p>'
    png, where = drawn
    colours = figures.region_colours(max(len(names), 1))
    present = set(np.unique(regions).tolist())
    swatches = [
        f'<span class="region"><i style="background:#{c[0]:02x}{c[1]:02x}{c[2]:02x}">'
        f"</i>{_e(name)}</span>"
        for name, c, k in zip(names, colours, range(1, len(names) + 1))
        if k in present
    ]
    legend = "".join(swatches[:MAX_LEGEND])
    if len(swatches) > MAX_LEGEND:
        legend += (
            f"<details><summary>{len(swatches) - MAX_LEGEND} more regions</summary>"
            + "".join(swatches[MAX_LEGEND:])
            + "</details>"
        )
    missing = [n for k, n in enumerate(names, start=1) if k not in present]
    caption = (
        f"Mean of the first {n_used} kept volumes of <code>{_e(result.image)}</code> "
        f"(not the whole run, to keep the report cheap), {_e(where)}, "
        "each region tinted in its colour. " + _e(note)
        if mean is not None
        else f"Regions of <code>{_e(result.image)}</code> on {_e(where)}, each "
        "region in its colour, shaded by the light. " + _e(note)
    )
    if getattr(roi, "space", None) is not None and mean is not None:
        caption += " " + _e(_mask_coverage(regions, mean, n_used))
    out = [
        f"<h2>{_overlay_heading(mean, domain)}</h2>",
        f"<figure>{_img(png, figures, 'ROI overlay', 'mosaic')}"
        f"<figcaption>{caption}</figcaption></figure>",
        f'<div class="legend">{legend}</div>',
    ]
    if missing:
        out.append(
            f"<p><b>Regions with no voxel on this image grid ({len(missing)}):</b> "
            f"{_e(', '.join(missing))}</p>"
        )
    return "".join(out)


def _with_surf_mesh(figures: ModuleType, surf_mesh: str) -> SimpleNamespace:
    """Return the figure functions, ``surface_atlas`` drawing on ``surf_mesh``."""
    names = {n: getattr(figures, n) for n in dir(figures) if not n.startswith("_")}
    names["surface_atlas"] = functools.partial(
        figures.surface_atlas, surf_mesh=surf_mesh
    )
    return SimpleNamespace(**names)


def _overlay_heading(mean: np.ndarray | None, domain: Any) -> str:
    """Name the overlay section: regions on the mean image, or on the surface."""
    on_mean = mean is not None or getattr(domain, "draws_on_mean", True)
    return "Regions on the mean image" if on_mean else "Regions on the surface"


def _mask_coverage(regions: np.ndarray, mean: np.ndarray, n_used: int) -> str:
    """Say how many of a mask's voxels have no signal in the averaged volumes."""
    inside = np.asarray(regions) > 0
    mean = np.asarray(mean)
    dead = int((inside & ~(np.isfinite(mean) & (mean != 0))).sum())
    total = int(inside.sum())
    share = f" ({dead / total:.1%})" if total else ""
    return (
        f"Coverage of the mask: {total} voxels, {dead}{share} of them 0 or not "
        f"finite in the mean of those {n_used} volumes (outside the image's signal)."
    )


def image_section(
    result: Any, figures: ModuleType, number: int, *, draw: bool = True
) -> str:
    """Return one image's summary and, if ``draw``, its timeseries figures."""
    values = result.values  # float64 copies are made of the columns drawn only
    n_rows, n_columns = values.shape
    out = [
        f'<section class="image" id="image-{number}"><h2>Image {number}: '
        f"{_e(result.stem)}</h2>",
        _table(_summary_rows(result, n_rows, n_columns), ("", "")),
    ]
    if not draw or n_rows == 0 or n_columns == 0:
        why = (
            "No timeseries to draw."
            if draw
            else "Figures are drawn for the first images only."
        )
        out.append(f'<p class="note">{why}</p></section>')
        return "".join(out)
    out += _figures(result, values, figures)
    out.append("</section>")
    return "".join(out)


def _output_names(result: Any) -> OutputNames:
    """Return the names of a result's outputs (the seed's, from its stem, if unknown)."""
    names = getattr(result, "names", None)
    return names if names is not None else OutputNames(result.stem)


def _summary_rows(result: Any, n_rows: int, n_columns: int) -> list[tuple[str, Any]]:
    """Return what was done to one image: volumes, TR, confounds, empty regions."""
    side = result.sidecar
    t_r = side.get("RepetitionTime")
    return [
        ("image", result.image),
        ("output", _output_names(result).timeseries()),
        ("volumes in image", side.get("NumberOfVolumesInImage")),
        ("discarded scans", side.get("DiscardedScans")),
        ("censored volumes", side.get("NumberOfCensoredVolumes")),
        ("interpolated volumes", len(side.get("InterpolatedVolumes", []))),
        ("rows written", n_rows),
        ("columns", n_columns),
        (
            "TR (s)",
            f"{t_r:g} ({side.get('RepetitionTimeSource')})" if t_r else "unknown",
        ),
        ("confounds file", side.get("ConfoundsFile")),
        ("confound columns", len(side.get("ConfoundColumns") or [])),
        ("empty regions", ", ".join(side.get("EmptyRegions", [])) or "none"),
    ]


def _f64(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _figures(result: Any, values: np.ndarray, figures: ModuleType) -> list[str]:
    """Return the carpet plot, a few region timeseries and the correlation matrix."""
    out = [safely("The carpet plot", lambda: _carpet(result, values, figures))]
    finite = _finite_columns(values)
    spread = np.linspace(0, len(finite) - 1, min(MAX_LINES, len(finite))).round()
    picks = [int(finite[i]) for i in np.unique(spread).astype(int)]
    n_columns = values.shape[1]
    if picks:
        out.append(
            safely(
                "The region timeseries",
                lambda: (
                    "<figure>"
                    + figures.lines_svg(
                        _f64(values[:, picks]),
                        [result.columns[i] for i in picks],
                        result.sidecar.get("RepetitionTime"),
                        result.volumes,
                    )
                    + f"<figcaption>{len(picks)} of {n_columns} timeseries, z-scored for "
                    "display, against each kept volume's time: censored or discarded "
                    "volumes are gaps.</figcaption></figure>"
                ),
            )
        )
    if 2 <= n_columns <= MAX_CORRELATION_COLUMNS:
        out.append(
            safely("The correlation matrix", lambda: _matrix(result, values, figures))
        )
    elif n_columns > MAX_CORRELATION_COLUMNS:
        out.append(
            f'<p class="note">No correlation matrix: {n_columns} columns is more than '
            f"{MAX_CORRELATION_COLUMNS}.</p>"
        )
    return out


def _finite_columns(values: np.ndarray, block: int = 4096) -> np.ndarray:
    """Return the columns finite in every row, checked a block of columns at a time.

    A voxel run holds ~10^5 columns: one bool per value at once would be a
    quarter of the float32 values again.
    """
    keep = np.empty(values.shape[1], dtype=bool)
    for start in range(0, values.shape[1], block):
        keep[start : start + block] = np.isfinite(values[:, start : start + block]).all(
            axis=0
        )
    return np.flatnonzero(keep)


def _carpet(result: Any, values: np.ndarray, figures: ModuleType) -> str:
    """Return the carpet plot: its rows named, its colour bar, gaps said."""
    n_columns = values.shape[1]
    shown = np.arange(n_columns)
    if n_columns > MAX_CARPET_ROWS:
        shown = np.unique(
            np.linspace(0, n_columns - 1, MAX_CARPET_ROWS).round()
        ).astype(int)
    note = (
        f" ({len(shown)} of {n_columns} columns, evenly spaced)"
        if len(shown) < n_columns
        else ""
    )
    volumes = np.asarray(result.volumes)
    gaps = int((np.diff(volumes) > 1).sum()) if volumes.size else 0
    png = figures.carpet(_f64(values[:, shown]))
    names = [result.columns[i] for i in shown]
    return (
        "<figure>"
        + figures.labelled_image_svg(png, "carpet", names)
        + figures.colour_bar_svg(3, "z-score over time")
        + f"<figcaption>Carpet plot{note}: one row per column, one pixel per written "
        f"row (volumes {volumes[0] if volumes.size else '-'} to "
        f"{volumes[-1] if volumes.size else '-'}; {gaps} gap(s) where volumes were "
        "censored or dropped), each row z-scored.</figcaption></figure>"
    )


def _matrix(result: Any, values: np.ndarray, figures: ModuleType) -> str:
    """Return the correlation matrix with its regions named and its colour bar.

    With ``connectivity`` asking for ``correlation``, the matrix written
    (kept volumes only, its estimator, Fisher z if asked); otherwise the
    Pearson correlation of the rows written.
    """
    names = list(result.columns)
    computed = result.connectivity.get("correlation")
    if computed is None:
        png = figures.correlation(_f64(values))
        bar, caption = (
            figures.colour_bar_svg(1, "Pearson correlation"),
            ("Correlation between columns, in column order."),
        )
    else:
        limit, label = _matrix_scale(computed.values, computed.fisher_z)
        png = figures.matrix(computed.values, limit)
        bar = figures.colour_bar_svg(limit, label)
        caption = (
            f"The correlation matrix written ({_output_names(result).relmat('correlation')}"
            f"): {computed.n_volumes} kept volumes"
            + (
                f"; {len(computed.left_out)} region(s) left out (grey)"
                if computed.left_out
                else ""
            )
            + "."
        )
    return (
        "<figure>"
        + figures.labelled_image_svg(png, "matrix", names, names, width=420, height=420)
        + bar
        + f"<figcaption>{_e(caption)}</figcaption>"
        "</figure>"
    )


def _matrix_scale(values: np.ndarray, fisher_z: bool) -> tuple[float, str]:
    """Return the colour limit and label: 1 for correlations, the largest |z| for z."""
    if not fisher_z:
        return 1.0, "correlation"
    finite = np.abs(values[np.isfinite(values)])
    return (
        float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ), "Fisher z"


def _pearson(values: np.ndarray) -> np.ndarray:
    """Return the Pearson correlation of the columns (NaN for constant or n/a ones)."""
    values = _f64(values)
    centred = values - values.mean(axis=0)
    norm = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = centred / np.where(norm > 0, norm, np.nan)
    return unit.T @ unit


class MeanCorrelations:
    """Running sums of each ROI set's correlation matrices, for the batch's mean.

    Each image's matrix is the correlation it wrote (``connectivity``), else
    the Pearson correlation of its rows; Fisher z matrices are averaged as z.
    A region left out of any image is grey. Only one matrix per ROI set is
    held, whatever the number of images.
    """

    def __init__(self) -> None:
        self._sets: dict[str | None, dict[str, Any]] = {}

    def add(self, result: Any) -> None:
        """Add one image's matrix (its values still held) to its ROI set's sum."""
        columns = list(result.columns)
        entry = self._sets.get(result.atlas)
        if entry is not None and (not entry["usable"] or entry["columns"] != columns):
            entry["usable"] = False
            return
        if not 2 <= len(columns) <= MAX_CORRELATION_COLUMNS:
            self._sets[result.atlas] = {"usable": False, "columns": columns}
            return
        computed = result.connectivity.get("correlation")
        matrix = computed.values if computed is not None else _pearson(result.values)
        if entry is None:
            self._sets[result.atlas] = {
                "usable": True,
                "columns": columns,
                "sum": np.array(matrix, dtype=np.float64),
                "count": 1,
                "fisher": computed is not None and computed.fisher_z,
            }
        else:
            entry["sum"] += matrix
            entry["count"] += 1

    def section(self, figures: ModuleType) -> str:
        """Return the mean matrix of each ROI set of two or more images."""
        out = []
        for atlas, entry in self._sets.items():
            if not entry["usable"] or entry["count"] < 2:
                continue
            out.append(
                safely(
                    "The mean correlation matrix",
                    lambda e=entry, a=atlas: _mean_figure(
                        e["sum"] / e["count"], e, a, figures
                    ),
                )
            )
        return "".join(out)


def _mean_figure(
    mean: np.ndarray, entry: dict[str, Any], atlas: str | None, figures: ModuleType
) -> str:
    columns = entry["columns"]
    limit, label = _matrix_scale(mean, entry["fisher"])
    title = "Batch mean correlation" + (f": ROI set {atlas}" if atlas else "")
    return (
        f'<section class="mean" id="mean-{_e(atlas or "rois")}"><h2>{_e(title)}</h2>'
        "<figure>"
        + figures.labelled_image_svg(
            figures.matrix(mean, limit),
            "matrix",
            columns,
            columns,
            width=420,
            height=420,
        )
        + figures.colour_bar_svg(limit, f"mean {label}")
        + f"<figcaption>The mean of the {entry['count']} images' correlation "
        "matrices, cell by cell.</figcaption></figure></section>"
    )
