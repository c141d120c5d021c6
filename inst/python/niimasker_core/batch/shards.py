"""The file list a sharded batch was planned over, so that every shard splits the same one.

``--shard i/N`` takes every N-th image of the batch's naturally sorted list.
If files are added or removed between two shards of one array, the shards
split different lists and an image can fall to none of them (or to two).
Each shard's run record keeps the list it split (:data:`SHARD_LIST_KEY`);
:func:`check_shard_list` refuses a shard whose list differs from another
shard's of the same array in the same folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..errors import SettingsError
from ..io.folder import DATA_DIR

__all__ = ["SHARD_LIST_KEY", "check_shard_list"]

#: The run-record key holding every image of the batch a shard was cut from.
SHARD_LIST_KEY = "shard_of"


def check_shard_list(
    output_dir: str | Path, shard: str, images: Sequence[str], overwrite: bool
) -> None:
    """Refuse shard ``i/N`` when another shard of ``N`` split another list of images.

    Parameters
    ----------
    output_dir : str or Path
        The output folder.
    shard : str
        ``'i/N'``.
    images : sequence of str
        Every image of the batch (before the shard is taken).
    overwrite : bool
        Re-plan over this list anyway (every shard is then to be run again).

    Raises
    ------
    SettingsError
        Naming the other shard, the images added and removed, and the fix.
    """
    if overwrite:
        return
    index, count = shard.split("/")
    wanted = sorted(images)
    data = Path(output_dir) / DATA_DIR
    for record in sorted(data.glob(f"parameters_shard-*-of-{count}.json")):
        try:
            listed = json.loads(record.read_text(encoding="utf-8")).get(SHARD_LIST_KEY)
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(listed, list) or sorted(listed) == wanted:
            continue
        other = record.name.removeprefix("parameters_shard-").removesuffix(".json")
        added = sorted(set(wanted) - set(listed))
        removed = sorted(set(listed) - set(wanted))
        raise SettingsError(
            "{parameter} {value} splits {count} images, but shard {other:text} in "
            "this folder split {listed_count} ({change:text}): the shards would "
            "split different lists and some images would be run by none.",
            parameter="shard",
            value=shard,
            count=len(wanted),
            other=other.replace("-of-", "/"),
            listed_count=len(listed),
            change=_change(added, removed),
            fix="Run every shard over the same files, or re-plan over this list "
            "with {--overwrite} and run each shard again; or finish the batch "
            "with one run without {parameter}.",
        )


def _change(added: list[str], removed: list[str]) -> str:
    parts = []
    for word, names in (("added", added), ("removed", removed)):
        if names:
            shown = ", ".join(Path(n).name for n in names[:3])
            parts.append(
                f"{len(names)} {word}: {shown}" + (", ..." if len(names) > 3 else "")
            )
    return "; ".join(parts)
