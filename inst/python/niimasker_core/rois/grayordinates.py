"""Every grayordinate of a surface run (no ``roi_file``): the registry's ``grayordinates`` kind.

A CIFTI run's grayordinates (cortical vertices and subcortical voxels, in the
file's order) or every vertex of a GIFTI run's hemispheres are the columns,
as every voxel of a mask is for a volume run
(:mod:`~niimasker_core.rois.voxels`): they are cleaned as one linear
operator, written as an image in their space, and made again on each run.
The space is the first image's grayordinates, as a CIFTI brain-model axis
(:func:`~niimasker_core.domains.surface.grayordinates.brain_model_axis`);
every image of the batch must have the same. Non-finite values follow
``nan_policy`` (``error`` stops, ``zero`` reads them as 0).

``output_format`` ``nifti`` (the default) writes each run in its own format
(``.dtseries.nii`` for CIFTI, a GIFTI pair for GIFTI), ``cifti`` a
``.dtseries.nii`` for both, ``tsv`` and ``npy`` tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..domains.base import Domain
from ..domains.registry import open_image, reader_of
from ..domains.surface.grayordinates import Grayordinates, brain_model_axis
from ..engine import Reduction
from ..errors import RoiError, SettingsError
from ..params.vocabulary import MASK_STRATEGIES
from .base import RoiRequest
from .voxels import ColumnCount

__all__ = ["GrayordinateSource", "load", "written_format"]

#: The reader of each surface run, and the format its images are written in.
_OWN_FORMAT = {"cifti": "dtseries", "gifti": "gifti"}


def written_format(image: str, output_format: str) -> str:
    """Return the format every sample of ``image`` is written in, for ``output_format``.

    A surface run's ``nifti`` (the default) is its own format, ``cifti`` a
    dense timeseries; volume runs keep the format asked.
    """
    own = _OWN_FORMAT.get(reader_of(image).name)
    if own is None:
        return output_format
    return {"nifti": own, "cifti": "dtseries"}.get(output_format, output_format)


def load(request: RoiRequest) -> GrayordinateSource:
    """Take every grayordinate of the batch's first image (the registry's kind).

    Raises
    ------
    SettingsError
        If a mask option is given (volume masks do not apply to surfaces), or
        ``output_format`` cannot be written for this run.
    """
    options = request.voxels
    given = [
        name
        for name, value in (
            ("mask_img", options.mask_img),
            ("mask_args", options.mask_args),
            ("target_affine", options.target_affine),
            ("target_shape", options.target_shape),
        )
        if value is not None
    ]
    if options.mask_strategy != MASK_STRATEGIES[0]:
        given.append("mask_strategy")
    if given:
        raise SettingsError(
            f"'{request.first_image}' is a surface run: without 'roi_file' every "
            "grayordinate is extracted, and "
            + ", ".join(f"'{name}'" for name in given)
            + " (volume masks) cannot be used with it. Drop "
            + ("it" if len(given) == 1 else "them")
            + "."
        )
    image = open_image(request.first_image, tuple(request.first_companions))
    return GrayordinateSource(
        image.domain, request.first_image, options.output_format, options.dtype
    )


class GrayordinateSource:
    """Every grayordinate of one surface space, taken from the batch's first image.

    Parameters
    ----------
    domain : Grayordinates
        The first image's grayordinates.
    first_image : str
        That image (named in messages and descriptions).
    output_format : str
        The format asked (resolved: ``nifti`` by default).
    dtype : str or None
        The signals' dtype (``'auto'``: as the image).
    """

    kind = "grayordinates"
    parcels = None

    def __init__(
        self,
        domain: Grayordinates,
        first_image: str,
        output_format: str,
        dtype: str | None,
    ) -> None:
        self.output_format = written_format(first_image, output_format)
        self.domain = domain
        self.first_image = first_image
        self.dtype = dtype
        self._space = brain_model_axis(domain)
        self._names: list[str] | None = None

    @property
    def space(self) -> Any:
        """The grayordinates, as a nibabel ``BrainModelAxis`` (outputs are images in it)."""
        return self._space

    @property
    def n_voxels(self) -> int:
        """Columns of each output: the grayordinates (as a voxel source's voxels)."""
        return int(self.domain.n_samples)

    @property
    def files(self) -> dict[str, Any]:
        """Nothing is written once per batch."""
        return {}

    @property
    def n_grayordinates(self) -> int:
        """Return the number of grayordinates extracted."""
        return self.domain.n_samples

    def for_domain(self, domain: Domain) -> Reduction:
        """Return the gather of every sample of this domain.

        Raises
        ------
        RoiError
            If the image's samples are not the first image's.
        """
        if not isinstance(domain, Grayordinates) or domain.key != self.domain.key:
            raise RoiError(
                f"Without 'roi_file', every image of a batch must have the "
                f"grayordinates of the first, '{self.first_image}' "
                f"({self.domain.describe()}); this image has {domain.describe()}. "
                "Run images on other meshes in separate batches."
            )
        n = domain.n_samples
        return Reduction(
            columns=ColumnCount(n),
            voxels=np.arange(n, dtype=np.int64),
            reduce=lambda values: values,
            elementwise=True,
            keep_float_dtype=True,
        )

    @property
    def names(self) -> list[str]:
        """Column names: ``<STRUCTURE>_vertex_<v>`` and ``<STRUCTURE>_voxel_<i>_<j>_<k>``.

        Indices are 0-based, as in the file.
        """
        if self._names is None:
            names = []
            for s in self.domain.structures:
                if s.surface:
                    names += [f"{s.short_name}_vertex_{v}" for v in s.indices]
                else:
                    names += [
                        f"{s.short_name}_voxel_{i}_{j}_{k}" for i, j, k in s.indices
                    ]
            self._names = names
        return self._names

    def columns(self, reduction: Reduction) -> list[str]:
        """Return the column names, made when first asked (after the extraction)."""
        return self.names

    def describe_columns(self, reduction: Reduction) -> dict[str, Any]:
        """Return nothing: the columns are the grayordinates."""
        return {}

    def _structures(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.short_name,
                "model": "surface" if s.surface else "voxels",
                "count": len(s.indices),
            }
            for s in self.domain.structures
        ]

    def describe_output(self) -> dict[str, Any]:
        """Return the grayordinates, their structures and the format."""
        return {
            "NumberOfGrayordinates": self.n_grayordinates,
            "Structures": self._structures(),
            "OutputFormat": self.output_format,
        }

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "first_image": self.first_image,
            "n_grayordinates": self.n_grayordinates,
            "structures": self._structures(),
            "output_format": self.output_format,
        }

    def describe_extent(self) -> str:
        """Return the grayordinates in words."""
        return self.domain.describe()

    @property
    def overlay_names(self) -> list[str]:
        """The one region the report draws: every grayordinate (not a name each)."""
        return [f"every grayordinate ({self.n_grayordinates})"]

    def region_labels(
        self, reduction: Reduction, domain: Domain
    ) -> tuple[np.ndarray, str]:
        """Return every sample as region 1: all are extracted."""
        return np.ones(domain.n_samples, dtype=np.int32), ""
