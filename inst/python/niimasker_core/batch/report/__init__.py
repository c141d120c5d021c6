"""The HTML report: one self-contained ``report.html`` per batch.

It shows the header (version, time, command, images done and failed),
every resolved parameter, the regions drawn on the mean of the first image,
the batch's mean correlation matrix, and per image a summary, a carpet
plot, a few region timeseries and the correlation matrix (the one written
when ``connectivity`` asks for ``correlation``). Figures are drawn with numpy alone
(:mod:`~niimasker_core.batch.report.figures`) and embedded as ``data:`` PNGs or
inline SVG, so the file needs nothing else to be read offline.

A batch builds it as its images finish (:class:`~.spool.ReportSpool`: each
image's section drawn then and kept on disk, not in memory);
:func:`write_report` writes the report of a finished batch's results the
same way. Writing the report never fails a run: any problem becomes a
logged warning, and a figure that cannot be drawn becomes a note in its
place.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from . import figures as default_figures
from .spool import MAX_IMAGES_WITH_FIGURES, REPORT_NAME, ReportSpool

__all__ = ["MAX_IMAGES_WITH_FIGURES", "REPORT_NAME", "ReportSpool", "write_report"]


def write_report(
    batch: Any,
    roi: Any,
    output_dir: str | Path,
    *,
    figures: ModuleType = default_figures,
) -> Path | None:
    """Write ``OUTPUT_DIR/report.html`` of a finished batch atomically; never raise.

    Parameters
    ----------
    batch : BatchResult
        The batch's results (their values held), failures and parameters.
    roi : RoiSource
        The batch's ROI source.
    output_dir : str or Path
        The output folder.
    figures : module or namespace
        The figure functions (see :class:`~.spool.ReportSpool`).

    Returns
    -------
    Path or None
        The report's path, or None if it could not be written (a warning
        says why; the timeseries files are not affected).
    """
    spool = ReportSpool(output_dir, roi, figures)
    for index, result in enumerate(batch.results):
        spool.add(index, [result])
    return spool.write(batch.parameters, batch.failures)
