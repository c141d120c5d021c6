"""The output folder: one batch at a time (a lock file) and no stale temporaries.

Every output is written to a hidden temporary name (see
:func:`niimasker_core.io.writers.atomic_path`) that carries the writing
process's id and host, then renamed. A run killed while writing leaves such a
file behind; the next run in that folder removes every temporary whose
process is gone (same host) or that is a day old (another host). Temporaries
never have an output's name, so they are never read as outputs.

Two batches writing into one folder would mix their records, so a batch
holds ``niimasker_data/.lock`` while it runs and a second one is refused
with :class:`~niimasker_core.errors.OutputFolderBusyError`. Shards of one
SLURM array (``shard``) each hold their own lock and may run together.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputFolderBusyError
from .writers import TEMPORARY_PATTERN

__all__ = ["DATA_DIR", "STALE_SECONDS", "folder_lock", "remove_stale_temporaries"]

#: The folder, inside the output folder, of run records and derived images.
DATA_DIR = "niimasker_data"

#: A temporary from another host is stale after this many seconds.
STALE_SECONDS = 24 * 3600

_OLD_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp(\.[A-Za-z0-9.]*)?$")


def _alive(pid: int, host: str) -> bool:
    """Return whether process ``pid`` on ``host`` may still be running."""
    if host != socket.gethostname():
        return True  # cannot tell: the caller also looks at the file's age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: str | Path) -> list[str]:
    """Delete temporaries left by killed runs in ``folder`` and its data folder.

    Parameters
    ----------
    folder : str or Path
        The output folder.

    Returns
    -------
    list of str
        The files removed.
    """
    removed = []
    now = time.time()
    for where in (Path(folder), Path(folder) / DATA_DIR):
        if not where.is_dir():
            continue
        for path in where.iterdir():
            name = path.name
            match = TEMPORARY_PATTERN.match(name)
            try:
                old = now - path.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
            if match is not None:
                stale = not _alive(int(match["pid"]), match["host"]) or old
            else:
                stale = _OLD_TEMPORARY.match(name) is not None  # older versions
            if stale and path.is_file():
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(str(path))
    return removed


def _lock_name(shard: str | None) -> str:
    if shard is None:
        return ".lock"
    index, count = shard.split("/")
    return f".lock-shard-{index}-of-{count}"


def _holder(path: Path) -> dict | None:
    """Return who holds the lock ``path`` when that run may still be going."""
    try:
        holder = json.loads(path.read_text())
        alive = _alive(int(holder["pid"]), str(holder["host"]))
        young = time.time() - path.stat().st_mtime < STALE_SECONDS
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable or gone: stale
    return holder if alive and young else None


@contextlib.contextmanager
def folder_lock(folder: str | Path, shard: str | None = None) -> Iterator[Path]:
    """Hold the output folder for one batch (or one shard) while it runs.

    Parameters
    ----------
    folder : str or Path
        The output folder.
    shard : str or None
        ``'i/N'`` for one shard of an array: shards lock only themselves, and
        only a batch without ``shard`` locks out every other run.

    Yields
    ------
    Path
        The lock file, removed on exit.

    Raises
    ------
    OutputFolderBusyError
        If another batch that may still be running holds the folder.
    """
    data = Path(folder) / DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    mine = data / _lock_name(shard)
    for other in sorted(data.glob(".lock*")):
        if shard is not None and other.name not in (".lock", mine.name):
            continue  # another shard: its images are not ours
        holder = _holder(other)
        if holder is not None:
            raise OutputFolderBusyError(
                f"'output_dir' '{folder}' is in use by another niimasker run (pid "
                f"{holder['pid']} on {holder['host']}, started {holder['started']}). "
                "Wait for it to finish or use another 'output_dir'; if that run is "
                f"gone, delete '{other}'."
            )
        with contextlib.suppress(OSError):
            other.unlink()  # stale: its run was killed
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "shard": shard,
    }
    try:
        fd = os.open(mine, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        raise OutputFolderBusyError(
            f"'output_dir' '{folder}' is being locked by another niimasker run at "
            f"this moment ('{mine}'). Wait for it to finish or use another "
            "'output_dir'."
        ) from None
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    try:
        yield mine
    finally:
        with contextlib.suppress(OSError):
            mine.unlink()
