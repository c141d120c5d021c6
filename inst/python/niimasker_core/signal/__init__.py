"""Temporal cleaning: detrending, filtering, confound regression and standardization."""

__all__: list[str] = []
