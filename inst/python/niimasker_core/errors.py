"""Every exception and warning a user of niimasker can cause.

Each error class subclasses :class:`NiimaskerError` and the built-in exception
it refines, so ``except ValueError`` still works for callers who do not know
niimasker. The command maps every :class:`NiimaskerError` to exit code 2 and
the R package maps ``FooBarError`` to the condition class
``niimasker_error_foo_bar``. Warnings are :class:`NiimaskerWarning`
subclasses given to :func:`warnings.warn` (filter them by class); the R
package re-signals ``FooBarWarning`` as ``niimasker_warning_foo_bar``.

Errors and warnings carry their parts as fields (``parameter``, ``value``,
``file``, ``fix`` and any other named part) so that each face words them in
its own idiom: :meth:`Worded.render` writes a parameter as ``'t_r'`` for
Python (this is ``str()``), ``--t_r`` for the command and `` `t_r` `` for R,
and values as Python, JSON or R literals.

Errors::

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
    ├── ConnectivityError (ValueError)      a connectivity kind cannot be computed
    │                                       (tangent of one image, a singular
    │                                       covariance)
    ├── BudgetError (MemoryError)           an input needs more memory than
    │                                       ``max_memory``, or its outputs more
    │                                       disk than the output folder has
    ├── WorkerLostError (RuntimeError)      a Dask worker died running an image
    ├── TooFewVolumesError (ValueError)     too few volumes left (also a
    │                                       ConfoundsError, CleaningError and
    │                                       InputFileError, as before)
    └── OutputError (OSError)               an output cannot be written
        └── OutputFolderBusyError (OSError) another run is writing there

Warnings::

    NiimaskerWarning (UserWarning)
    ├── ConfigOverrideWarning               the config overrides given values
    ├── RepetitionTimeWarning               ``t_r`` disagrees with the sidecar/header
    ├── UnusedOptionWarning                 an option or file is given but not used
    ├── EmptyRegionWarning                  a region has no voxels in an image
    ├── RegionNamesWarning                  region names were changed to be unique
    ├── RoiKindWarning                      ``roi_file`` is read as a kind it may not be
    ├── NonSteadyStateWarning               named confounds keep flagged volumes
    └── ReportWarning                       the HTML report could not be (fully) drawn
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AromaImageError",
    "AtlasFetchError",
    "AtlasQueryError",
    "BudgetError",
    "CleaningError",
    "ConfigError",
    "ConfigOverrideWarning",
    "ConfoundsError",
    "ConnectivityError",
    "EmptyRegionWarning",
    "ImageNotFoundError",
    "InputFileError",
    "LabelsError",
    "MissingRepetitionTimeError",
    "NiimaskerError",
    "NiimaskerWarning",
    "NonSteadyStateWarning",
    "OutputError",
    "OutputFolderBusyError",
    "PairingError",
    "RegionNamesWarning",
    "RepetitionTimeWarning",
    "ReportWarning",
    "RoiError",
    "RoiKindWarning",
    "SettingsError",
    "TooFewVolumesError",
    "UnusedOptionWarning",
    "Worded",
    "WorkerLostError",
]

#: The faces a message can be worded for.
_FACES = ("python", "command", "r")


class _FaceFormatter(string.Formatter):
    """Fill a message template with its parts, worded for one face.

    ``{parameter}`` and ``{--name}`` become parameter names, ``{file}`` a
    quoted path, any other ``{part}`` the part's value as a literal;
    ``{part:volume}`` words 0-based volume numbers as each face counts them
    (``39 (0-based)``; in R, ``40``).
    """

    def __init__(self, face: str) -> None:
        self.face = face

    def get_value(self, key: Any, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key.startswith("--"):
            return _Name(key[2:])
        if key == "parameter":
            return _Name(kwargs[key])
        if key == "file":
            return _Path(kwargs[key])
        return _Literal(kwargs[key])

    def format_field(self, value: Any, format_spec: str) -> str:
        return value.word(self.face, format_spec)


class _Name(str):
    def word(self, face: str, spec: str) -> str:
        if spec == "bare":
            return str(self)
        if face == "command":
            return f"--{self}"
        if face == "r":
            return f"`{self}`"
        return f"'{self}'"


class _Path(str):
    def word(self, face: str, spec: str) -> str:
        return f"'{self}'"


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value

    def word(self, face: str, spec: str) -> str:
        if spec == "text":  # wording, not a value: inserted as it is
            return str(self.value)
        if spec == "volume":  # 0-based volume number(s): R counts from 1
            many = isinstance(self.value, (list, tuple))
            if face == "r":
                return (
                    ", ".join(str(v + 1) for v in self.value)
                    if many
                    else str(self.value + 1)
                )
            text = ", ".join(map(str, self.value)) if many else str(self.value)
            return f"{text} (0-based)"
        if spec:  # a number format such as ':g' applies to the value itself
            return format(self.value, spec)
        return _literal(self.value, face)


def _literal(value: Any, face: str) -> str:
    """Write ``value`` as a literal of one face (Python, JSON, R).

    Parameters
    ----------
    value : object
        A plain value (None, bool, number, str, list, dict).
    face : {'python', 'command', 'r'}
        Who reads it.

    Returns
    -------
    str
        ``True``/``None``/``'x'`` for Python, ``true``/``null``/``"x"`` for
        the command (JSON, as in a config file), ``TRUE``/``NULL``/``"x"``
        for R.
    """
    if face == "python":
        return repr(value)
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        # an image shape
        return repr(value) if face != "r" else " x ".join(map(str, value))
    if face == "command":
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return repr(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):  # R's words: Inf, -Inf, NaN
            return "NaN" if math.isnan(value) else ("Inf" if value > 0 else "-Inf")
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "c(" + ", ".join(_literal(v, face) for v in value) + ")"
    if isinstance(value, Mapping):
        return (
            "list("
            + ", ".join(f"{k} = {_literal(v, face)}" for k, v in value.items())
            + ")"
        )
    return repr(value)


class Worded:
    """Mixin of errors and warnings that carry their parts.

    Parameters
    ----------
    message : str or mapping
        The problem (a mapping gives one per face, ``'python'`` being the
        fallback and ``str()``). With parts, a template: ``{parameter}``, ``{--name}``,
        ``{file}`` and ``{<part>}`` are filled per face (see
        :class:`_FaceFormatter`; ``{<part>:text}`` inserts a part as it
        is, ``{parameter:bare}`` the name unquoted); without parts, the text
        as it is.
    parameter : str, optional
        The parameter at fault, as users type it.
    file : str, optional
        The file at fault.
    fix : str or mapping, optional
        What to do, a template like ``message``; a mapping gives one per face
        (``{'command': ..., 'r': ...}``; ``'python'`` is the fallback).
    **parts
        Other parts the templates name (``value``, ``low_pass``, ...).
    """

    def __init__(
        self,
        message: str | Mapping[str, str] = "",
        *,
        parameter: str | None = None,
        file: str | None = None,
        fix: str | Mapping[str, str] | None = None,
        **parts: Any,
    ) -> None:
        super().__init__(message)
        self.template = message
        self.parameter = parameter
        self.file = file
        self.fix = fix
        self.parts = dict(parts)

    @property
    def value(self) -> Any:
        """The value at fault (None when not given)."""
        return self.parts.get("value")

    def render(self, face: str = "python") -> str:
        """Return the message worded for ``face`` (``'python'``, ``'command'``, ``'r'``).

        Parameters
        ----------
        face : {'python', 'command', 'r'}
            Who reads it.

        Returns
        -------
        str
            The problem, then the fix (if any) after a space.
        """
        problem = self.problem_for(face)
        fix = self.fix_for(face)
        return problem if not fix else f"{problem} {fix}"

    def problem_for(self, face: str) -> str:
        """Return only the problem, worded for ``face``."""
        return self._fill(_for_face(self.template, face) or "", face)

    def fix_for(self, face: str) -> str | None:
        """Return only the fix, worded for ``face`` (None when there is none)."""
        fix = _for_face(self.fix, face)
        return None if not fix else self._fill(fix, face)

    def _fill(self, template: str, face: str) -> str:
        if self.parameter is None and self.file is None and not self.parts:
            return template
        values = {**self.parts, "parameter": self.parameter, "file": self.file}
        return _FaceFormatter(face).format(template, **values)

    def __str__(self) -> str:
        return self.render("python")


def _for_face(text: str | Mapping[str, str] | None, face: str) -> str | None:
    if isinstance(text, Mapping):
        return text.get(face, text.get("python"))
    return text


class NiimaskerError(Worded, Exception):
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


class ConnectivityError(NiimaskerError, ValueError):
    """Raised when a connectivity kind cannot be computed from the tables.

    ``tangent`` with fewer than two images, or a kind that inverts the
    covariance (``precision``, ``partial correlation``, ``tangent``) when the
    empirical covariance is singular (fewer kept volumes than regions).
    """


class OutputError(NiimaskerError, OSError):
    """Raised when an output file cannot be written."""


class AromaImageError(ConfoundsError):
    """Raised when full ICA-AROMA is asked for an image that is not AROMA-denoised."""


class MissingRepetitionTimeError(CleaningError):
    """Raised when filtering is asked and no repetition time is known."""


class TooFewVolumesError(ConfoundsError, CleaningError, InputFileError):
    """Raised when too few volumes remain (after discarding and censoring) to clean."""


class OutputFolderBusyError(OutputError):
    """Raised when another niimasker run holds the output folder's lock."""


class BudgetError(NiimaskerError, MemoryError):
    """Raised before reading when a file's header claims more than the budget allows.

    An image, atlas or mask whose data would not fit in ``max_memory``, or
    voxel outputs that would not fit in the output folder's free space.
    """


class WorkerLostError(NiimaskerError, RuntimeError):
    """Raised when the Dask worker running an image died (twice) before finishing it."""


class NiimaskerWarning(Worded, UserWarning):
    """Base class of every warning niimasker gives; never given itself."""


class ConfigOverrideWarning(NiimaskerWarning):
    """Given when the config overrides values given as arguments or flags."""


class RepetitionTimeWarning(NiimaskerWarning):
    """Given when ``t_r`` disagrees with the image's JSON sidecar or header."""


class UnusedOptionWarning(NiimaskerWarning):
    """Given when an option or a file is given but not used (e.g. regressor files)."""


class EmptyRegionWarning(NiimaskerWarning):
    """Given when a region has no voxels in an image; its column is n/a."""


class RegionNamesWarning(NiimaskerWarning):
    """Given when repeated region names are renamed to be unique."""


class RoiKindWarning(NiimaskerWarning):
    """Given when ``roi_file`` is read as a kind it may not be meant as (a 4D image as maps)."""


class NonSteadyStateWarning(NiimaskerWarning):
    """Given when named confound columns keep volumes flagged as non-steady-state."""


class ReportWarning(NiimaskerWarning):
    """Given when the HTML report, or one of its figures, cannot be drawn."""
