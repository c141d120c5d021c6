"""The batch: which images run, one image's work, where it runs, and its records."""

__all__: list[str] = []
