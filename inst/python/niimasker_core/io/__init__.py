"""Files: writing outputs atomically, the output folder, user tables and BIDS names."""

__all__: list[str] = []
