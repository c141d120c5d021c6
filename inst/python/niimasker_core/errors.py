"""Every exception a user of niimasker can cause.

Each class subclasses :class:`NiimaskerError` and the built-in exception it
refines, so ``except ValueError`` still works for callers who do not know
niimasker. The command maps every :class:`NiimaskerError` to exit code 2 and
the R package maps ``FooBarError`` to the condition class
``niimasker_error_foo_bar``.

Hierarchy::

    NiimaskerError (Exception)
    ├── SettingsError (ValueError)          a parameter has a wrong value
    ├── ConfigError (ValueError)            the JSON config cannot be used
    ├── InputFileError (ValueError)         an input image is unusable
    │   └── ImageNotFoundError (FileNotFoundError)
    ├── RoiError (ValueError)               the ROI definition is unusable
    │   ├── LabelsError (ValueError)        labels do not fit the atlas
    │   └── AtlasQueryError (ValueError)    a ``nilearn:`` query is malformed
    │       └── AtlasFetchError (OSError)   the atlas could not be downloaded
    ├── ConfoundsError (ValueError)         confounds do not fit the image
    │   ├── PairingError (ValueError)       images and confound files do not pair
    │   └── AromaImageError (ValueError)    full ICA-AROMA on a non-AROMA image
    ├── CleaningError (ValueError)          cleaning settings do not fit the data
    │   └── MissingRepetitionTimeError      filtering without a repetition time
    ├── TooFewVolumesError (ValueError)     too few volumes left (also a
    │                                       ConfoundsError, CleaningError and
    │                                       InputFileError, as before)
    └── OutputError (OSError)               an output cannot be written
"""

from __future__ import annotations

__all__ = [
    "AromaImageError",
    "AtlasFetchError",
    "AtlasQueryError",
    "CleaningError",
    "ConfigError",
    "ConfoundsError",
    "ImageNotFoundError",
    "InputFileError",
    "LabelsError",
    "NiimaskerError",
    "OutputError",
    "PairingError",
    "RoiError",
    "SettingsError",
    "MissingRepetitionTimeError",
    "TooFewVolumesError",
]


class NiimaskerError(Exception):
    """Base class of every error a user can cause; never raised itself."""


class SettingsError(NiimaskerError, ValueError):
    """Raised when a parameter has a value of the wrong type or meaning."""


class ConfigError(NiimaskerError, ValueError):
    """Raised when the JSON config file is missing, unreadable or has unknown keys."""


class InputFileError(NiimaskerError, ValueError):
    """Raised when an input image exists but cannot be used (not 4D, NaN, ...)."""


class ImageNotFoundError(InputFileError, FileNotFoundError):
    """Raised when an input, ROI, mask, labels or confounds file does not exist."""


class RoiError(NiimaskerError, ValueError):
    """Raised when ``roi_file`` cannot define regions (float labels, empty mask...)."""


class LabelsError(RoiError):
    """Raised when ``labels`` do not match the regions of ``roi_file``."""


class AtlasQueryError(RoiError):
    """Raised when a ``nilearn:<atlas>:<params>`` query is malformed."""


class AtlasFetchError(AtlasQueryError, OSError):
    """Raised when nilearn cannot fetch the atlas (usually no network)."""


class ConfoundsError(NiimaskerError, ValueError):
    """Raised when confounds are unreadable, miss columns or do not fit the image."""


class PairingError(ConfoundsError):
    """Raised when images cannot be paired one-to-one with confound files."""


class CleaningError(NiimaskerError, ValueError):
    """Raised when cleaning settings do not fit the data (too few volumes...)."""


class OutputError(NiimaskerError, OSError):
    """Raised when an output file cannot be written."""


class AromaImageError(ConfoundsError):
    """Raised when full ICA-AROMA is asked for an image that is not AROMA-denoised."""


class MissingRepetitionTimeError(CleaningError):
    """Raised when filtering is asked and no repetition time is known."""


class TooFewVolumesError(ConfoundsError, CleaningError, InputFileError):
    """Raised when too few volumes remain (after discarding and censoring) to clean."""
