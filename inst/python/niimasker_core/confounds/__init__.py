"""Confounds: reading tables, choosing columns or strategies, scrubbing, alignment to volumes."""

__all__: list[str] = []
