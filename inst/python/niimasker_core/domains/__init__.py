"""What a signal is sampled on: the voxel grid of NIfTI volumes today."""

__all__: list[str] = []
