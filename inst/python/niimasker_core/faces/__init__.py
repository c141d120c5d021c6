"""The faces of the core: the Python API, the command and the R bridge."""

__all__: list[str] = []
