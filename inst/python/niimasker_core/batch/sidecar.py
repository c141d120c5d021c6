"""The JSON sidecar of one output: where its numbers came from and how they were made.

Each ``<stem>_timeseries.tsv`` has a ``<stem>_timeseries.json`` beside it
naming its source image, TR (and where the TR came from), confounds, the
volumes kept, censored and interpolated, the regions and every parameter that
changes the numbers (the ``Cleaning`` block, built from the declarations in
:mod:`niimasker_core.params.settings`).
"""

from __future__ import annotations

from typing import Any

from ..version import __version__

__all__ = ["image_sidecar"]


def image_sidecar(
    plan: Any,
    recorded: dict[str, Any],
    n_volumes: int,
    confounds: Any,
    fingerprint: str,
    *,
    columns: dict[str, Any],
    output: dict[str, Any],
) -> dict[str, Any]:
    """Return the JSON-ready sidecar of one image's timeseries.

    Parameters
    ----------
    plan : RunPlan
        The image, its confounds file, TR and TR source.
    recorded : dict
        The parameters that change the numbers (``Settings.recorded()``).
    n_volumes : int
        Volumes in the image.
    confounds : AlignedConfounds
        The confounds as cleaning used them, with the output volumes.
    fingerprint : str
        What the outputs were made from (:mod:`niimasker_core.batch.fingerprint`).
    columns : dict
        The ROI set's description of its columns (regions: ``EmptyRegions``
        and ``Columns``), placed before ``Cleaning``.
    output : dict
        What the set adds about its output at the end (voxels: the mask).

    Returns
    -------
    dict
        The sidecar.
    """
    interpolated = list(confounds.censored) if confounds.interpolate else []
    return {
        "Sources": list(plan.files),
        "RepetitionTime": plan.t_r,
        "RepetitionTimeSource": plan.t_r_source,
        "NumberOfVolumesInImage": n_volumes,
        "DiscardedScans": confounds.discard,
        "OutputVolumes": [int(v) for v in confounds.volumes],
        "ConfoundsFile": plan.confounds,
        "ConfoundsPairedBy": plan.pairing,
        "ConfoundColumns": list(confounds.columns),
        **confounds.details,
        "CensoredVolumes": list(confounds.censored),
        "NumberOfCensoredVolumes": len(confounds.censored),
        "InterpolatedVolumes": interpolated,
        **columns,
        "Cleaning": {**recorded, "t_r": plan.t_r},
        "Fingerprint": fingerprint,
        "niimasker_version": __version__,
        **output,
    }
