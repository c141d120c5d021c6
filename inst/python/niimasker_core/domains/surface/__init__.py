"""The surface domain: vertices of cortical meshes and CIFTI grayordinates."""

__all__: list[str] = []
