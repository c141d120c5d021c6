"""The one vocabulary: every word a parameter allows, and what the words mean.

The batch (its declarations and coercers) and the drop-in maskers read their
allowed values and translations here, so a word is spelt and interpreted once.
The confound presets and strategies (``Params6``, ``simple``, ...) are the
confounds room's own table (:mod:`niimasker_core.confounds.strategies`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import SettingsError

__all__ = [
    "COMPCOR_TYPES",
    "CONFOUND_MODELS",
    "CONNECTIVITY_ESTIMATORS",
    "CONNECTIVITY_KINDS",
    "ICA_AROMA_TYPES",
    "MASK_STRATEGIES",
    "NAN_POLICIES",
    "OUTPUT_FORMATS",
    "OUTPUT_LAYOUTS",
    "OUTPUT_VOLUMES",
    "REDUCTION_STRATEGIES",
    "STANDARDIZE_CHOICES",
    "STANDARDIZE_VALUES",
    "default_output_format",
    "standardize_method",
    "suggest",
    "target_dtype",
]

#: Standardization methods. ``zscore`` divides by the population std (ddof 0,
#: the seed's meaning, and what ``True`` means here), ``zscore_sample`` by the
#: sample std (ddof 1, nilearn 0.14's ``True``), ``psc`` is percent signal change.
STANDARDIZE_CHOICES = ("zscore", "zscore_sample", "psc")
#: Every value ``standardize`` takes, in the drop-in maskers' order.
STANDARDIZE_VALUES = (False, True, None, *STANDARDIZE_CHOICES)

#: How the voxels of a region are summarised (nilearn's ``NiftiLabelsMasker``).
REDUCTION_STRATEGIES = (
    "mean",
    "median",
    "sum",
    "minimum",
    "maximum",
    "variance",
    "standard_deviation",
)
#: What to do with NaN or infinite voxels inside the ROI.
NAN_POLICIES = ("error", "zero", "omit")

#: nilearn's mask computing strategies (``NiftiMasker``'s ``mask_strategy``).
MASK_STRATEGIES = (
    "background",
    "epi",
    "whole-brain-template",
    "gm-template",
    "wm-template",
)
#: How timeseries are written (see :mod:`niimasker_core.io.formats`).
OUTPUT_FORMATS = ("tsv", "nifti", "npy", "cifti")
#: Where outputs go: every file in the output folder, named after its image
#: (``flat``, the seed's names), or a BIDS derivative dataset (``bids``).
OUTPUT_LAYOUTS = ("flat", "bids")
#: With scrubbing: write only the kept volumes, or every volume.
OUTPUT_VOLUMES = ("censored", "interpolated")

#: Connectivity kinds, as nilearn's ``ConnectivityMeasure`` names them
#: (``partial_correlation`` is read as ``partial correlation``).
CONNECTIVITY_KINDS = (
    "correlation",
    "partial correlation",
    "covariance",
    "precision",
    "tangent",
)
#: How each image's covariance is estimated: ``empirical`` (the plain,
#: maximum-likelihood estimate, as XCP-D) or ``ledoitwolf`` (shrunk, nilearn's
#: default).
CONNECTIVITY_ESTIMATORS = ("empirical", "ledoitwolf")

#: nilearn's expansions of motion, WM/CSF and global signal regressors.
CONFOUND_MODELS = ("basic", "power2", "derivatives", "full")
#: nilearn's CompCor variants.
COMPCOR_TYPES = (
    "anat_combined",
    "anat_separated",
    "temporal",
    "temporal_anat_combined",
    "temporal_anat_separated",
)
#: nilearn's ICA-AROMA variants.
ICA_AROMA_TYPES = ("full", "basic")


def standardize_method(standardize: Any) -> str | None:
    """Return the cleaning method a ``standardize`` value means.

    Parameters
    ----------
    standardize : bool, str or None
        ``True`` (the seed's population z-score, ``'zscore'``), ``False`` or
        None (no standardization), or one of :data:`STANDARDIZE_CHOICES`.

    Returns
    -------
    str or None
        One of :data:`STANDARDIZE_CHOICES`, or None.

    Raises
    ------
    SettingsError
        For any other value.
    """
    if standardize is True:
        return "zscore"
    if standardize is False or standardize is None:
        return None
    if isinstance(standardize, str) and standardize in STANDARDIZE_CHOICES:
        return standardize
    raise SettingsError(
        "'standardize' must be one of "
        + ", ".join(map(repr, STANDARDIZE_VALUES))
        + f"; got {standardize!r}."
    )


def default_output_format(output_format: str | None, voxels: bool) -> str:
    """Return how timeseries are written: region tables as TSV, voxels as asked.

    Parameters
    ----------
    output_format : str or None
        One of :data:`OUTPUT_FORMATS`, or None (a 4D NIfTI for voxels).
    voxels : bool
        Every voxel of a mask is extracted (no ``roi_file``); region tables
        are always TSV.

    Returns
    -------
    str
        One of :data:`OUTPUT_FORMATS`.
    """
    if not voxels:
        return "tsv"
    return output_format or "nifti"


def target_dtype(source: Any, requested: Any) -> np.dtype | None:
    """Return the dtype ``requested`` converts data of dtype ``source`` to, or None.

    ``"auto"`` gives int32 for signed integer data and float32 otherwise, as
    nilearn's ``get_target_dtype``; None means no conversion.
    """
    if requested is None:
        return None
    if isinstance(requested, str) and requested == "auto":
        requested = np.int32 if np.dtype(source).kind == "i" else np.float32
    requested = np.dtype(requested)
    return None if requested == np.dtype(source) else requested


def suggest(word: str, names: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest of ``names``, or ``""``.

    Parameters
    ----------
    word : str
        What the user typed.
    names : iterable of str
        The valid names.

    Returns
    -------
    str
        The hint, with a leading space, or an empty string when nothing is close.
    """
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
