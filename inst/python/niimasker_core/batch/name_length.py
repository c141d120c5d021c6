"""Output names the file system can hold, checked before anything is written.

An input named with 240 characters gives outputs (and their temporaries,
which add niimasker's marker) longer than the 255 bytes most file systems
allow in one name; found only when writing, the batch would stop with the
record and report already written. :func:`check_name_lengths` refuses it
first, naming the input.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import OutputError
from ..io.writers import temporary_name
from ..params.settings import Settings
from .plan import RunPlan
from .record import image_outputs

__all__ = ["check_name_lengths"]

#: NAME_MAX of Linux and macOS file systems, when the folder cannot tell.
_NAME_MAX = 255


def check_name_lengths(
    output_dir: str | Path, settings: Settings, plans: Sequence[RunPlan]
) -> None:
    """Refuse an input whose outputs' names are too long for the output folder.

    Parameters
    ----------
    output_dir : str or Path
        The output folder (its nearest existing parent says the limit).
    settings : Settings
        The batch's settings (which outputs each image has).
    plans : sequence of RunPlan
        Its images.

    Raises
    ------
    OutputError
        Naming the input, the output name's length, the limit and the fix.
    """
    limit = _name_max(Path(output_dir))
    for plan in plans:
        for output in image_outputs(settings, plan):
            name = Path(output).name
            length = len(os.fsencode(temporary_name(name)))
            if length > limit:
                raise OutputError(
                    "The name of {file} is too long for its outputs: '{output:text}' "
                    "({n} bytes, {total} while written with niimasker's temporary "
                    "marker) is over the {limit} bytes a file name may have in "
                    "'{folder:text}'.",
                    file=plan.image,
                    output=name,
                    n=len(os.fsencode(name)),
                    total=length,
                    limit=limit,
                    folder=str(output_dir),
                    fix=f"Rename the input (or link it) to a name {length - limit} "
                    "or more characters shorter.",
                )


def _name_max(folder: Path) -> int:
    place = folder.absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        return int(os.pathconf(place, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return _NAME_MAX
