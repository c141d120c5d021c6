"""The report built as a batch's images finish, in memory flat in the number of images.

Each image's section (its summary and, for the first images, its figures)
is drawn when the image finishes, from the values it has then, and appended
to a temporary file in ``niimasker_data`` (named as niimasker names its
temporaries, so a killed batch's is removed by the next run); the values
can then be dropped. At the batch's end :meth:`ReportSpool.write` writes
``report.html`` through a temporary renamed into place: the header, the
parameters (the runs' table a row at a time), the overlay drawn from the
first image's result, then the sections copied from the spool in the
batch's order. Only each section's place in the spool (three integers)
stays in memory per image.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import warnings
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from ...errors import NiimaskerWarning, ReportWarning
from ...io.folder import DATA_DIR
from ...io.writers import atomic_path, temporary_name
from . import figures as default_figures
from .sections import (
    MeanCorrelations,
    header,
    image_section,
    overlay_section,
    parameters_parts,
    safely,
)

__all__ = ["MAX_IMAGES_WITH_FIGURES", "REPORT_NAME", "ReportSpool"]

REPORT_NAME = "report.html"

#: Images after this many get their summary but no figures, to bound the file size.
MAX_IMAGES_WITH_FIGURES = 50

#: Stands for a section's number until the report puts the sections in order
#: (no path or figure holds a NUL character).
_NUMBER = "\x00"

_SLOTS = re.compile(r"\$(header|parameters|overlay|images)")


class ReportSpool:
    """The report of one batch, one section added per finished image.

    Parameters
    ----------
    output_dir : str or Path
        The output folder (``report.html`` goes there, the spool in
        ``niimasker_data``).
    roi : RoiSource
        The batch's ROI source (for the overlay).
    figures : module or namespace
        Supplies ``mosaic``, ``carpet``, ``correlation``, ``lines_svg``,
        ``region_colours`` and ``data_uri``; :mod:`.figures` by default.
    """

    def __init__(
        self, output_dir: str | Path, roi: Any, figures: ModuleType = default_figures
    ) -> None:
        self.target = Path(output_dir) / REPORT_NAME
        self._spool_path = Path(output_dir) / DATA_DIR / temporary_name(REPORT_NAME)
        self._spool: IO[bytes] | None = None
        self._roi = roi
        self._figures = figures
        # per section: the image's place in the batch, its offset and length
        self._places = array("q")
        self.n_results = 0
        self._first: tuple[int, Any] | None = None  # the overlay's result
        self._means = MeanCorrelations()  # one matrix per ROI set
        self._problem: BaseException | None = None

    def add(self, index: int, results: Sequence[Any]) -> None:
        """Draw the sections of the image at place ``index`` of the batch; never raise.

        Parameters
        ----------
        index : int
            The image's place in the batch's order (images may finish in
            any order).
        results : sequence of ImageResult
            The image's results, one per ROI set (values still held).
        """
        if self._problem is not None or not results:
            return
        if self._first is None or index < self._first[0]:
            self._first = (index, results[0])
        try:
            if self._spool is None:
                self._spool_path.parent.mkdir(parents=True, exist_ok=True)
                self._spool = open(self._spool_path, "xb")
            for result in results:
                _quietly(lambda r=result: self._means.add(r))
                draw = self.n_results < MAX_IMAGES_WITH_FIGURES
                text = _quietly(
                    lambda r=result, d=draw: image_section(
                        r, self._figures, _NUMBER, draw=d
                    )
                )
                data = text.encode("utf-8")
                self._places.extend((index, self._spool.tell(), len(data)))
                self._spool.write(data)
                self.n_results += 1
        except Exception as exc:
            self._problem = exc

    def write(self, parameters: dict[str, Any], failures: list[Any]) -> Path | None:
        """Write ``report.html`` atomically and remove the spool; never raise.

        Parameters
        ----------
        parameters : dict
            The batch's record (as in ``parameters.json``).
        failures : list of Failure
            The images that failed.

        Returns
        -------
        Path or None
            The report's path, or None if it could not be written (a warning
            says why; the timeseries files are not affected).
        """
        try:
            if self._problem is not None:
                raise self._problem
            if self._spool is not None:
                self._spool.flush()
            with atomic_path(self.target) as tmp:
                with open(tmp, "w", encoding="utf-8") as out:
                    _quietly(lambda: self._assemble(out, parameters, failures))
        except Exception as exc:
            warnings.warn(
                ReportWarning(
                    "The report {file} could not be written ({problem:text}); the "
                    "timeseries files are complete.",
                    file=str(self.target),
                    problem=f"{type(exc).__name__}: {exc}",
                ),
                stacklevel=2,
            )
            return None
        finally:
            self.close()
        return self.target

    def close(self) -> None:
        """Remove the spool (the batch ends, or failed before its end)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        with contextlib.suppress(OSError):
            self._spool_path.unlink(missing_ok=True)

    def _assemble(
        self, out: IO[str], parameters: dict[str, Any], failures: list[Any]
    ) -> None:
        when = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )
        slots: dict[str, Callable[[], Iterator[str]]] = {
            "header": lambda: iter(
                [header(parameters, self.n_results, failures, when)]
            ),
            "parameters": lambda: parameters_parts(parameters),
            "overlay": lambda: iter([self._overlay(parameters)]),
            "images": lambda: self._images(),
        }
        template = (Path(__file__).parent / "template.html").read_text()
        for n, piece in enumerate(_SLOTS.split(template)):
            for text in slots[piece]() if n % 2 else [piece]:
                out.write(text)

    def _overlay(self, parameters: dict[str, Any]) -> str:
        if self._first is None:
            return ""
        first = self._first[1]
        surf_mesh = (parameters.get("parameters") or {}).get("surf_mesh")
        return safely(
            "The region overlay",
            lambda: overlay_section(
                first, self._roi, self._figures, surf_mesh=surf_mesh
            ),
        )

    def _images(self) -> Iterator[str]:
        """Yield the batch's mean matrices, then every image's section."""
        yield safely(
            "The mean correlation matrix", lambda: self._means.section(self._figures)
        )
        yield from self._sections()

    def _sections(self) -> Iterator[str]:
        """Yield the spooled sections in the batch's order, numbered."""
        places = self._places
        if not places:
            return  # no image gave results: no spool was made
        # the batch's order; images' own sections in the order they came
        order = sorted(range(len(places) // 3), key=lambda k: (places[3 * k], k))
        with open(self._spool_path, "rb") as spool:
            for number, k in enumerate(order, start=1):
                spool.seek(places[3 * k + 1])
                text = spool.read(places[3 * k + 2]).decode("utf-8")
                yield text.replace(_NUMBER, str(number))


def _quietly(draw: Callable[[], Any]) -> Any:
    """Run ``draw`` without what libraries say; the report's own warnings stand.

    What reading the first image again for the overlay makes libraries say
    was said when it was extracted.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", NiimaskerWarning)
        return draw()
