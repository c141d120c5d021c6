"""The batch's budgets: claimed sizes against ``max_memory``, voxel outputs against disk.

Checked from the headers alone, before any data are read and anything is
written (:mod:`niimasker_core.domains.budget`): a run streamed needs one
volume in memory at a time; an atlas, a mask, and the first run when a voxel
mask is computed from it are read whole. Voxel outputs (every voxel of the
mask, every volume of every image) must fit the output folder's free space.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..domains.budget import (
    check_disk,
    check_file_size,
    check_memory,
    default_memory_budget,
    read_claim,
)
from ..params.settings import Settings
from .plan import RunPlan

__all__ = ["check_memory_budget", "check_voxel_disk"]

#: Bytes a value takes in a TSV (digits, sign, exponent, tab).
_TSV_VALUE_BYTES = 12


def check_memory_budget(settings: Settings, plans: Sequence[RunPlan]) -> None:
    """Refuse any input, atlas or mask whose header claims more than ``max_memory``.

    Parameters
    ----------
    settings : Settings
        The batch's settings (``max_memory``, ``roi_file``, ``mask_img``).
    plans : sequence of RunPlan
        The images to run.

    Raises
    ------
    BudgetError
        Naming the file, its claimed size and the budget.
    InputFileError
        If an uncompressed file is shorter than its header claims.
    """
    budget = settings.max_memory or default_memory_budget()
    whole_first = settings.roi_file is None and settings.mask_img is None
    for number, plan in enumerate(plans):
        for path in plan.files:
            claim = read_claim(path)
            if claim is None:
                continue
            check_file_size(claim, "input image")
            if whole_first and number == 0:  # the voxel mask is computed from it
                need, what = claim.data_bytes, "computing the mask from the whole image"
            elif not claim.streamed:
                need, what = claim.data_bytes, "the whole file (GIFTI is read whole)"
            else:
                need, what = claim.volume_bytes, "one volume"
            check_memory(claim, need, budget, "input image", what)
    for role, value in (
        ("roi_file", settings.roi_file),
        ("mask_img", settings.mask_img),
    ):
        for path in _paths(value):
            claim = read_claim(path)
            if claim is not None:
                check_file_size(claim, role)
                check_memory(claim, claim.data_bytes, budget, role, "the whole image")


def check_voxel_disk(
    plans: Sequence[RunPlan], n_voxels: int, output_format: str | None, output_dir: str
) -> None:
    """Refuse voxel outputs that would not fit in the output folder's free space.

    Parameters
    ----------
    plans : sequence of RunPlan
        The images to run.
    n_voxels : int
        Voxels in the mask (columns of each output).
    output_format : str or None
        ``'tsv'``, ``'nifti'`` or ``'npy'`` (None: TSV).
    output_dir : str
        Where they go.

    Raises
    ------
    BudgetError
        Naming the folder, the size needed and the space free.
    """
    per_value = _TSV_VALUE_BYTES if output_format in (None, "tsv") else 4
    values = 0
    for plan in plans:
        claim = read_claim(plan.image)
        if claim is not None:
            values += claim.n_volumes * n_voxels
    check_disk(output_dir, values * per_value, f"The voxel outputs ({n_voxels} voxels)")


def _paths(value: Any) -> Iterator[str]:
    """Yield the file paths of a ``roi_file``/``mask_img`` value (one, several, per set)."""
    if value is None:
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _paths(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _paths(item)
    elif isinstance(value, str):
        yield value
        if "=" in value:  # a set's 'name=path' entry
            yield value.partition("=")[2]
