"""Parameters: declarations, the one vocabulary, coercion, typed settings, config files."""

__all__: list[str] = []
