"""The HTML report: one self-contained ``report.html`` per batch.

It shows the header (version, time, command, images done and failed),
every resolved parameter, the regions drawn on the mean of the first image,
the batch's mean correlation matrix, and per image a summary, a carpet
plot, a few region timeseries and the correlation matrix (the one written
when ``connectivity`` asks for ``correlation``). Figures are drawn with numpy alone
(:mod:`~niimasker_core.batch.report.figures`) and embedded as ``data:`` PNGs or
inline SVG, so the file needs nothing else to be read offline.

Writing the report never fails a run: :func:`write_report` turns any
problem into a logged warning, and a figure that cannot be drawn becomes a
note in its place.
"""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path
from string import Template
from types import ModuleType
from typing import Any

from ...errors import NiimaskerWarning, ReportWarning
from ...io.writers import atomic_path
from . import figures as default_figures
from .sections import (
    header,
    image_section,
    mean_matrix_section,
    overlay_section,
    parameters_section,
    safely,
)

__all__ = ["MAX_IMAGES_WITH_FIGURES", "REPORT_NAME", "build_report", "write_report"]

REPORT_NAME = "report.html"

#: Images after this many get their summary but no figures, to bound the file size.
MAX_IMAGES_WITH_FIGURES = 50


def build_report(batch: Any, roi: Any, *, figures: ModuleType = default_figures) -> str:
    """Return the report of a batch as one HTML document.

    Parameters
    ----------
    batch : BatchResult
        The batch's results, failures and parameters.
    roi : RoiSource
        The batch's ROI source (for the overlay).
    figures : module or namespace
        Supplies ``mosaic``, ``carpet``, ``correlation``, ``lines_svg``,
        ``region_colours``, ``surface_atlas`` and ``data_uri``; :mod:`.figures`
        by default.

    Returns
    -------
    str
        The HTML text.
    """
    when = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )
    template = Template((Path(__file__).parent / "template.html").read_text())
    results = batch.results
    overlay = ""
    if results:
        surf_mesh = batch.parameters.get("parameters", {}).get("surf_mesh")
        overlay = safely(
            "The region overlay",
            lambda: overlay_section(results[0], roi, figures, surf_mesh=surf_mesh),
        )
    images = [
        image_section(result, figures, number, draw=number <= MAX_IMAGES_WITH_FIGURES)
        for number, result in enumerate(results, start=1)
    ]
    return template.substitute(
        header=header(batch.parameters, len(results), batch.failures, when),
        parameters=parameters_section(batch.parameters),
        overlay=overlay,
        images=mean_matrix_section(results, figures) + "".join(images),
    )


def write_report(
    batch: Any,
    roi: Any,
    output_dir: str | Path,
    *,
    figures: ModuleType = default_figures,
) -> Path | None:
    """Write ``OUTPUT_DIR/report.html`` atomically; never raise.

    Parameters
    ----------
    batch : BatchResult
        The batch's results, failures and parameters.
    roi : RoiSource
        The batch's ROI source.
    output_dir : str or Path
        The output folder.
    figures : module or namespace
        The figure functions (see :func:`build_report`).

    Returns
    -------
    Path or None
        The report's path, or None if it could not be written (a warning
        says why; the timeseries files are not affected).
    """
    target = Path(output_dir) / REPORT_NAME
    try:
        with warnings.catch_warnings():
            # what reading the images for the figures makes libraries say was
            # said when they were extracted; the report's own warnings stand
            warnings.simplefilter("ignore")
            warnings.simplefilter("always", NiimaskerWarning)
            text = build_report(batch, roi, figures=figures)
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except Exception as exc:
        warnings.warn(
            ReportWarning(
                "The report {file} could not be written ({problem:text}); the "
                "timeseries files are complete.",
                file=str(target),
                problem=f"{type(exc).__name__}: {exc}",
            ),
            stacklevel=2,
        )
        return None
    return target
