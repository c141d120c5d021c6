"""What :func:`niimasker_core.extract_timeseries` returns to Python callers.

A batch gives an :class:`ExtractionResult`: one :class:`ImageTimeseries` per
image and ROI set (a pandas DataFrame plus its metadata), the images that
failed (:class:`ExtractionFailure`), the resolved parameters and, for voxel
extraction, the mask. The R package gets the same content as bytes from
:mod:`niimasker_core.faces.r_bridge`.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from nibabel.cifti2 import cifti2_axes

from ..errors import Worded

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .outcome import ImageResult
    from .run import BatchResult

__all__ = [
    "ExtractionFailure",
    "ExtractionResult",
    "ImageTimeseries",
    "matrix_frames",
    "to_frame",
]


@dataclass(repr=False, eq=False)
class ImageTimeseries:
    """The cleaned timeseries of one image and ROI set, with what was done to get them.

    Attributes
    ----------
    data : pandas.DataFrame or None
        One row per kept volume, indexed by the 0-based number of the volume
        in the image (index name ``volume``: discarded, non-steady-state and
        censored volumes are missing), one float64 column per region (or
        voxel), named as in the TSV. None only when the values were not kept
        (the ``niimasker`` command, which writes them to files instead).
    file : str
        The input image.
    stem : str
        The output name's stem (``<stem>_timeseries.tsv``).
    atlas : str or None
        The ROI set's name when several were given, else None.
    sidecar : dict
        The JSON sidecar's content (cleaning, confounds, volumes kept,
        censored or interpolated, empty regions, ...).
    t_r : float or None
        The repetition time used, in seconds.
    t_r_source : str or None
        Where it came from: ``'parameter'``, ``'sidecar'``, ``'header'``, or
        None when no TR was needed or found.
    files : list of str
        The files written for this image (empty without ``output_dir``).
    skipped : bool
        True when the outputs were already complete and were read back
        rather than computed again.
    connectivity : dict of str to pandas.DataFrame
        With ``connectivity``: each kind's matrix (nilearn's name, e.g.
        ``'partial correlation'``), square, indexed and labelled by the
        region names (index name ``node``); NaN for regions left out.

    Examples
    --------
    >>> result = extract_timeseries(["sub-01_bold.nii.gz"], "atlas.nii.gz")  # doctest: +SKIP
    >>> item = result[0]  # doctest: +SKIP
    >>> item.data.loc[10:12, ["region001", "region002"]]  # doctest: +SKIP
    """

    data: pd.DataFrame | None
    file: str
    stem: str
    atlas: str | None = None
    sidecar: dict[str, Any] = field(default_factory=dict)
    t_r: float | None = None
    t_r_source: str | None = None
    files: list[str] = field(default_factory=list)
    skipped: bool = False
    connectivity: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def from_image_result(
        cls, result: ImageResult, *, with_values: bool = True
    ) -> ImageTimeseries:
        """Wrap one image's result, sharing (not copying) its values.

        Parameters
        ----------
        result : ImageResult
            The outcome of :func:`niimasker_core.batch.image.process_image`.
        with_values : bool
            Keep the values as :attr:`data`; False leaves ``data`` None.

        Returns
        -------
        ImageTimeseries
            The result with its metadata.
        """
        data = None
        if with_values:
            data = to_frame(result.values, result.columns, result.volumes)
        return cls(
            data=data,
            file=result.image,
            stem=result.stem,
            atlas=result.atlas,
            sidecar=result.sidecar,
            t_r=result.t_r,
            t_r_source=result.sidecar.get("RepetitionTimeSource"),
            files=list(result.files),
            skipped=result.skipped,
            connectivity=(
                matrix_frames(result.connectivity, result.columns)
                if with_values
                else {}
            ),
        )

    @property
    def columns(self) -> list[str]:
        """The column (region or voxel) names, as in the TSV."""
        if self.data is None:
            return []
        return [str(c) for c in self.data.columns]

    @property
    def volumes(self) -> list[int]:
        """The 0-based number in the image of each row."""
        if self.data is None:
            return [int(v) for v in self.sidecar.get("OutputVolumes", [])]
        return [int(v) for v in self.data.index]

    @property
    def shape(self) -> tuple[int, int]:
        """``(volumes, columns)`` of :attr:`data` (``(0, 0)`` when not kept)."""
        if self.data is None:
            return (0, 0)
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    def to_numpy(self) -> np.ndarray:
        """Return the values as a ``(volumes, columns)`` float64 array (no copy).

        Returns
        -------
        numpy.ndarray
            The cleaned timeseries, rows in :attr:`volumes` order.

        Raises
        ------
        ValueError
            When the values were not kept (``data`` is None).
        """
        if self.data is None:
            raise ValueError(
                f"The values of {self.file} were not kept (data is None): "
                "call extract_timeseries() to get them, or read the written TSV."
            )
        return self.data.to_numpy(dtype=np.float64, copy=False)

    def _summary(self) -> str:
        rows, cols = self.shape
        kind = "regions"
        if self.sidecar.get("NumberOfVoxels") is not None:
            kind = "voxels"
        elif self.sidecar.get("NumberOfGrayordinates") is not None:
            kind = "grayordinates"
        tr = "no TR" if self.t_r is None else f"TR {self.t_r:g} s"
        if self.t_r is not None and self.t_r_source:
            tr += f" ({self.t_r_source})"
        atlas = f" [{self.atlas}]" if self.atlas else ""
        values = "" if self.data is not None else ", values not kept"
        skipped = ", read back" if self.skipped else ""
        return (
            f"{self.stem}{atlas}: {rows} volumes x {cols} {kind}, {tr}{values}{skipped}"
        )

    def __repr__(self) -> str:
        """Return a summary, the file, the outputs and the first rows."""
        lines = [f"ImageTimeseries {self._summary()}", f"  file: {self.file}"]
        lines += [f"  wrote: {f}" for f in self.files]
        if self.data is not None:
            lines.append(repr(self.data.head()))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Return the summary and the first rows as HTML (for notebooks)."""
        head = "" if self.data is None else self.data.head()._repr_html_()
        return (
            f"<p><b>ImageTimeseries</b> {html.escape(self._summary())}<br>"
            f"<code>{html.escape(self.file)}</code></p>{head}"
        )


@dataclass(frozen=True)
class ExtractionFailure:
    """An image that could not be processed.

    Attributes
    ----------
    file : str
        The input image.
    error_type : str
        The error's class name (a :mod:`niimasker_core.errors` class for
        problems a user can fix).
    message : str
        What went wrong and how to fix it.
    error : BaseException or None
        The error itself, so that each face can word it (R's warning).
    """

    file: str
    error_type: str
    message: str
    error: BaseException | None = field(default=None, compare=False, repr=False)

    def message_for(self, face: str) -> str:
        """Return the message as ``face`` (``'python'``, ``'command'``, ``'r'``) words it."""
        if isinstance(self.error, Worded):
            return self.error.render(face)
        return self.message

    def __str__(self) -> str:
        """Return ``file: error_type: message``."""
        return f"{self.file}: {self.error_type}: {self.message}"


@dataclass(repr=False, eq=False)
class ExtractionResult:
    """Everything one :func:`~niimasker_core.extract_timeseries` call produced.

    Iterating, ``len()`` and indexing go over :attr:`timeseries`.

    Attributes
    ----------
    timeseries : list of ImageTimeseries
        One item per image and ROI set, in input order (images read back
        from complete outputs included).
    failures : list of ExtractionFailure
        The images that failed (the others are still extracted).
    parameters : dict
        Everything resolved, as in ``niimasker_data/parameters.json``.
    output_dir : str or None
        Where the outputs were written, or None.
    skipped : list of str
        The images whose outputs were already complete (their values read
        back from the tables).
    seconds : float
        The batch's wall time.
    mask_img : nibabel.nifti1.Nifti1Image or None
        For voxel extraction (``as_voxels`` without an atlas), the mask whose
        voxels are the columns; None otherwise.
    brain_models : nibabel.cifti2.BrainModelAxis or None
        For a surface run without ``roi_file``, the grayordinates that are
        the columns (structure, vertex or voxel of each); None otherwise.

    Examples
    --------
    >>> result = extract_timeseries("sub-*_bold.nii.gz", "atlas.nii.gz")  # doctest: +SKIP
    >>> for item in result:  # doctest: +SKIP
    ...     print(item.stem, item.data.shape)
    """

    timeseries: list[ImageTimeseries]
    failures: list[ExtractionFailure] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    output_dir: str | None = None
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    mask_img: Any = None
    brain_models: Any = None

    @classmethod
    def from_batch(
        cls, batch: BatchResult, output_dir: str | None, *, with_values: bool = True
    ) -> ExtractionResult:
        """Wrap a batch's outcome, sharing (not copying) the values.

        Parameters
        ----------
        batch : BatchResult
            The outcome of :func:`niimasker_core.batch.run.run_batch`.
        output_dir : str or None
            Where the outputs were written.
        with_values : bool
            Keep each image's values as its ``data`` (False: ``data`` None).

        Returns
        -------
        ExtractionResult
            The batch's results, failures and parameters.
        """
        surface = isinstance(batch.mask_img, cifti2_axes.BrainModelAxis)
        return cls(
            timeseries=[
                ImageTimeseries.from_image_result(r, with_values=with_values)
                for r in batch.results
            ],
            failures=[
                ExtractionFailure(f.image, f.error_type, f.message, f.exception)
                for f in batch.failures
            ],
            parameters=batch.parameters,
            output_dir=None if output_dir is None else str(output_dir),
            skipped=list(dict.fromkeys(r.image for r in batch.skipped)),
            seconds=round(batch.seconds, 3),
            mask_img=None if surface else batch.mask_img,
            brain_models=batch.mask_img if surface else None,
        )

    def __iter__(self) -> Iterator[ImageTimeseries]:
        """Iterate over :attr:`timeseries`."""
        return iter(self.timeseries)

    def __len__(self) -> int:
        """Return the number of timeseries (images x ROI sets)."""
        return len(self.timeseries)

    def __getitem__(self, index: int) -> ImageTimeseries:
        """Return the ``index``-th timeseries.

        Raises
        ------
        TypeError
            For a key that is not an integer (results are attributes:
            ``result.timeseries``, ``result.failures``, ...).
        """
        if isinstance(index, str):
            raise TypeError(
                f"ExtractionResult is indexed by position, not {index!r}: use the "
                f"attribute (result.{index}) or result[0] for the first timeseries."
            )
        return self.timeseries[index]

    def _summary(self) -> str:
        images = len(dict.fromkeys(t.file for t in self.timeseries))
        text = (
            f"{len(self.timeseries)} timeseries from {images} image(s), "
            f"{len(self.failures)} failed, {len(self.skipped)} read back, "
            f"{self.seconds:g} s"
        )
        if self.output_dir is not None:
            text += f", written to {self.output_dir}"
        return text

    def __repr__(self) -> str:
        """Return a summary line, one line per timeseries and each failure."""
        lines = [f"ExtractionResult: {self._summary()}"]
        lines += [f"  [{i}] {t._summary()}" for i, t in enumerate(self.timeseries)]
        lines += [f"  failed: {f}" for f in self.failures]
        if self.mask_img is not None:
            grid = "x".join(str(n) for n in self.mask_img.shape[:3])
            lines.append(f"  mask_img: {grid} mask")
        if self.brain_models is not None:
            lines.append(f"  brain_models: {len(self.brain_models)} grayordinates")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Return the summary and a table of the timeseries as HTML (for notebooks)."""
        rows = "".join(
            f"<tr><td>{i}</td><td>{html.escape(t._summary())}</td></tr>"
            for i, t in enumerate(self.timeseries)
        )
        failed = "".join(f"<li>{html.escape(str(f))}</li>" for f in self.failures)
        return (
            f"<p><b>ExtractionResult</b> {html.escape(self._summary())}</p>"
            f"<table><tr><th></th><th>timeseries</th></tr>{rows}</table>"
            + (f"<p>Failed:</p><ul>{failed}</ul>" if failed else "")
        )


def to_frame(
    values: np.ndarray, columns: list[str], volumes: list[int]
) -> pd.DataFrame:
    """Return ``values`` as a DataFrame indexed by volume, sharing its memory.

    Parameters
    ----------
    values : numpy.ndarray
        ``(volumes, columns)`` values (float64 is kept as is, others converted).
    columns : list of str
        The column names.
    volumes : list of int
        The 0-based image volume of each row.

    Returns
    -------
    pandas.DataFrame
        Index ``volume``, one column per name.
    """
    import pandas as pd

    values = np.asarray(values, dtype=np.float64)
    index = pd.Index(np.asarray(volumes, dtype=np.int64), name="volume")
    return pd.DataFrame(values, index=index, columns=list(columns), copy=False)


def matrix_frames(
    matrices: dict[str, Any], columns: list[str]
) -> dict[str, pd.DataFrame]:
    """Return connectivity matrices (``Connectome``) as square DataFrames by kind.

    Parameters
    ----------
    matrices : dict
        Kind to :class:`~niimasker_core.signal.connectivity.Connectome`.
    columns : list of str
        The region names.

    Returns
    -------
    dict of str to pandas.DataFrame
        Index (named ``node``) and columns the region names.
    """
    import pandas as pd

    names = [str(c) for c in columns]
    return {
        kind: pd.DataFrame(
            np.asarray(m.values, dtype=np.float64),
            index=pd.Index(names, name="node"),
            columns=names,
        )
        for kind, m in matrices.items()
    }
