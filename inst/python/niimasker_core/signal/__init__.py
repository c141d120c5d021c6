"""Temporal cleaning: detrending, filtering, confound regression and standardization.

:func:`~niimasker_core.signal.clean.clean` is the one entry point, for the
batch and the drop-in maskers alike.
"""

__all__: list[str] = []
