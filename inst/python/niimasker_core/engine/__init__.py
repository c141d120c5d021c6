"""The extraction engine: one streamed pass over an image feeds every reduction."""

from .extraction import Extracted, extract
from .reduction import Reduction

__all__ = ["Extracted", "Reduction", "extract"]
