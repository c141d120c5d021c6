"""Resuming a batch: read back an image whose outputs are complete and up to date.

An image's outputs are complete when its JSON sidecar (written last) and its
timeseries exist, and up to date when the sidecar's ``Fingerprint`` equals
the one the batch's settings and inputs give
(:mod:`niimasker_core.batch.fingerprint`). Only formats that can be read back
(:data:`niimasker_core.io.formats.FORMATS`) of region sets are resumed; the
outputs of a space's elements (every voxel of a mask) are made again.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..io.formats import FORMATS, sidecar_of, timeseries_name
from ..params.settings import Settings
from .fingerprint import image_fingerprint
from .outcome import ImageResult
from .plan import RunPlan

__all__ = ["finished_outputs"]


def finished_outputs(
    plan: RunPlan,
    settings: Settings,
    output_dir: str,
    suffix: str = "",
    output_format: str = "tsv",
) -> ImageResult | None:
    """Return the outputs of ``plan`` read back when complete and up to date, else None.

    The values are read from the table, as written (9 significant digits).

    Parameters
    ----------
    plan : RunPlan
        The image.
    settings : Settings
        The batch's settings.
    output_dir : str
        The output folder.
    suffix : str
        The ROI set's part of the output names (empty with one set).
    output_format : str
        How the set's timeseries were written.

    Returns
    -------
    ImageResult or None
        The finished result (``skipped`` set), or None when it must be made.
    """
    read = FORMATS[output_format].read
    if read is None:
        return None  # not read back: made again
    out = Path(output_dir)
    stem = plan.stem + suffix
    table = out / timeseries_name(stem, output_format)
    sidecar_file = sidecar_of(table)
    if not (table.is_file() and sidecar_file.is_file()):
        return None
    try:
        sidecar = json.loads(sidecar_file.read_text())
        if sidecar.get("Fingerprint") != image_fingerprint(plan, settings):
            return None
        columns, values = read(table)
    except (OSError, ValueError):
        return None  # unreadable: made again
    if values.shape[1] != len(columns) or values.shape[0] != len(
        sidecar.get("OutputVolumes", [])
    ):
        return None
    files = [str(table)]
    coverage = out / f"{stem}_coverage.tsv"
    if coverage.is_file():
        files.append(str(coverage))
    files.append(str(sidecar_file))
    return ImageResult(
        image=plan.image,
        stem=stem,
        columns=columns,
        values=values,
        volumes=[int(v) for v in sidecar["OutputVolumes"]],
        t_r=sidecar.get("RepetitionTime"),
        sidecar=sidecar,
        files=files,
        atlas=suffix[len("_atlas-") :] or None,
        skipped=True,
    )
