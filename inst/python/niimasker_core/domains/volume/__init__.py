"""The volume domain: NIfTI images streamed volume by volume on a voxel grid."""

__all__: list[str] = []
