"""The surface domain: GIFTI data sampled on the vertices of a cortical mesh."""

__all__: list[str] = []
