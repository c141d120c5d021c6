"""The fingerprint of one output: what it was made from, to decide whether to redo it.

An output is redone only when its fingerprint changes: the niimasker version,
every parameter that can change an output (all but the ``run_only`` ones of
:mod:`niimasker_core.params.settings`), the image's TR and confounds file, and the
size and modification time of every input file (image, its BIDS sidecar,
confounds and their JSON sidecar, ROI, mask and labels files, each ROI set's
own included). It is a SHA-256 of those facts, stored in the output's JSON
sidecar, which is written last: a sidecar with a matching fingerprint means a
complete output. The sidecar also lists the image's other outputs (its table
and coverage table) with their size and SHA-256 (:func:`output_digests`): one
deleted, cut or edited in place is made again (:func:`outputs_intact`). Every
ROI set of an image shares the image's fingerprint: changing one set's labels
or mask redoes the image (one read gives them all).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..domains.registry import image_suffixes
from ..version import __version__

__all__ = [
    "OUTPUTS_KEY",
    "image_fingerprint",
    "input_files_of",
    "output_digests",
    "outputs_intact",
]

#: The sidecar key listing each output of the image with its size and SHA-256.
OUTPUTS_KEY = "Outputs"


def input_files_of(plan: Any, settings: Any) -> list[str]:
    """Return every file the outputs of ``plan`` are made from (existing ones).

    Parameters
    ----------
    plan : RunPlan
        The image and its confounds file.
    settings : Settings
        ``roi_file``, ``mask_img`` and ``labels`` (when files; one, or one
        per ROI set).

    Returns
    -------
    list of str
        Paths, in a fixed order.
    """
    candidates = [f for path in plan.files for f in (path, _json_beside(path))]
    if plan.confounds is not None:
        candidates += [plan.confounds, _json_beside(plan.confounds)]
    rois = settings.roi_file
    for entry in [rois] if isinstance(rois, str) or rois is None else rois:
        label, sep, rest = (entry or "").partition("=")
        candidates.append(rest if sep and not os.path.isfile(entry) else entry)
    for value in (settings.mask_img, settings.labels):  # one, or one per ROI set
        for item in value.values() if isinstance(value, dict) else [value]:
            if isinstance(item, str):
                candidates.append(item)
    return [c for c in candidates if c is not None and os.path.isfile(c)]


def image_fingerprint(plan: Any, settings: Any) -> str:
    """Return the fingerprint (64 hex digits) of the outputs of one image.

    Parameters
    ----------
    plan : RunPlan
        The image, its confounds file and TR.
    settings : Settings
        The batch's settings.

    Returns
    -------
    str
        SHA-256 of the version, the parameters and the inputs' sizes and times.
    """
    inputs = []
    for path in input_files_of(plan, settings):
        stat = os.stat(path)
        inputs.append([path, stat.st_size, stat.st_mtime_ns])
    facts = {
        "niimasker_version": __version__,
        "parameters": settings.fingerprinted(),
        "t_r": plan.t_r,
        "t_r_source": plan.t_r_source,
        "confounds": plan.confounds,
        "inputs": inputs,
    }
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _json_beside(path: str) -> str | None:
    name = Path(path).name
    for suffix in (*image_suffixes(), ".tsv", ".csv", ".txt"):
        if name.endswith(suffix):
            return str(Path(path).with_name(name[: -len(suffix)] + ".json"))
    return None


def output_digests(folder: Path, files: list[Path]) -> dict[str, dict[str, Any]]:
    """Return each output's size and SHA-256, keyed by its path in ``folder``.

    Parameters
    ----------
    folder : Path
        The output folder.
    files : list of Path
        Outputs of one image, written before its sidecar.

    Returns
    -------
    dict
        ``{relative path: {"size": bytes, "sha256": hex}}``.
    """
    digests = {}
    for path in files:
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        digests[Path(path).relative_to(folder).as_posix()] = {
            "size": os.path.getsize(path),
            "sha256": digest,
        }
    return digests


def outputs_intact(folder: Path, sidecar: dict[str, Any]) -> bool:
    """Return whether every output the sidecar lists is there, as it was written.

    A sidecar without the list (written before it was kept) counts as not
    intact: its outputs are made again.
    """
    recorded = sidecar.get(OUTPUTS_KEY)
    if not isinstance(recorded, dict) or not recorded:
        return False
    for name, facts in recorded.items():
        path = Path(folder) / name
        try:
            if os.path.getsize(path) != facts.get("size"):
                return False
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return False
        if digest != facts.get("sha256"):
            return False
    return True
