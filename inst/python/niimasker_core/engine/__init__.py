"""The extraction engine: one streamed pass over an image feeds every reduction.

:func:`extract` streams an image (any :mod:`domain <niimasker_core.domains>`)
once through the :class:`Reduction` s the ROI kinds built for it.
"""

from .blas import one_blas_thread
from .extraction import extract
from .finish import Extracted
from .reduction import Reduction

__all__ = ["Extracted", "Reduction", "extract", "one_blas_thread"]
