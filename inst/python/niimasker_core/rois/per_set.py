"""``labels`` and ``mask_img`` per ROI set: which value each set of ``roi_file`` gets.

Either parameter is one value or, once coerced, a dict keyed by ROI-set name
(:func:`niimasker_core.params.coercion.as_per_set`). Here the keys meet the sets'
names (:func:`niimasker_core.rois.roi_set_names`): a key that names no set is
an error naming it, the sets and the closest name. A set without a key gets
no value: no mask, its default names. One ``mask_img`` applies to every set;
one ``labels`` value names the regions of a single set only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import RoiError, SettingsError
from ..params.vocabulary import suggest

__all__ = ["values_per_set"]

#: How each face writes one set's value, for the messages.
_FORMS = {
    "labels": {
        "python": "a mapping of set name to names or a labels table",
        "command": "--labels NAME=TABLE.tsv for each set",
        "r": "a named list of each set's names or labels table",
    },
    "mask_img": {
        "python": "a mapping of set name to mask path",
        "command": "-m NAME=MASK.nii.gz for each set",
        "r": "a named list or named character vector of mask paths",
    },
}
#: How each face names the ROI sets themselves.
_NAMING = {
    "python": "{--roi_file} entries 'name=path', or a mapping of name to path",
    "command": "-r NAME=PATH",
    "r": "a named {--roi_file}",
}


def values_per_set(parameter: str, value: Any, names: Sequence[str]) -> list[Any]:
    """Return the value of ``parameter`` for each ROI set, in the sets' order.

    Parameters
    ----------
    parameter : {'labels', 'mask_img'}
        The parameter.
    value : object
        Its coerced value: None, one value, or a dict keyed by set name.
    names : sequence of str
        The ROI sets' names, as :func:`~niimasker_core.rois.roi_set_names`
        gives them.

    Returns
    -------
    list
        One value (or None) per set.

    Raises
    ------
    SettingsError
        If a key names no ROI set.
    RoiError
        If one ``labels`` value is given for several sets.
    """
    if not isinstance(value, dict):
        if parameter == "labels" and value is not None and len(names) > 1:
            raise RoiError(
                "{parameter} names the regions of one ROI set, but {--roi_file} has "
                "{count} ({sets}).",
                parameter=parameter,
                count=len(names),
                sets=list(names),
                fix={
                    face: f"Give each set its own names as {form}; sets left out "
                    "keep their default names."
                    for face, form in _FORMS[parameter].items()
                },
            )
        return [value] * len(names)
    unknown = [key for key in value if key not in names]
    if unknown:
        verb = "names" if len(unknown) == 1 else "name"
        raise SettingsError(
            {
                face: "{parameter} is keyed by ROI set names, but {keys_"
                + face
                + ":text} "
                + verb
                + " no set of {--roi_file}: its sets are {sets}."
                for face in ("python", "r")
            },  # fmt: skip
            parameter=parameter,
            value=value,
            keys_python=_closest(unknown, names, "'"),
            keys_r=_closest(unknown, names, '"'),
            sets=list(names),
            fix={
                face: f"Use those names ({form}), or name the sets yourself "
                f"({_NAMING[face]})."
                for face, form in _FORMS[parameter].items()
            },
        )
    return [value.get(name) for name in names]


def _closest(keys: Sequence[str], names: Sequence[str], quote: str) -> str:
    """Return the keys, quoted, each with its closest set name when one is close."""
    return ", ".join(
        f"{quote}{key}{quote}" + suggest(key, names).replace("'", quote) for key in keys
    )
