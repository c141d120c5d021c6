"""The output folder: one batch at a time (a lock file), no stale temporaries, no system folder.

Every output is written to a hidden temporary name (see
:func:`niimasker_core.io.writers.atomic_path`) carrying niimasker's marker
(``.niimasker-tmp``) and the writing process's id and host, then renamed. A
run killed while writing leaves such a file behind; the next run in that
folder removes every temporary whose process is gone (same host) or that is a
day old (another host). Files without the marker are never removed, whatever
their names look like.

Two batches writing into one folder would mix their records, so a batch
holds ``niimasker_data/.niimasker-lock`` while it runs and a second one is
refused with :class:`~niimasker_core.errors.OutputFolderBusyError`. Shards of
one SLURM array (``shard``) each hold their own lock and may run together. A
lock is taken over only when it is niimasker's (its marker in the name, the
record it holds readable) and its process is gone.

The file-system root, the user's home and the system's own folders are
never an output folder (:func:`check_output_dir`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError, OutputFolderBusyError
from .writers import TEMPORARY_PATTERN

__all__ = [
    "DATA_DIR",
    "LOCK_NAME",
    "STALE_SECONDS",
    "check_output_dir",
    "folder_lock",
    "remove_stale_temporaries",
]

#: The folder, inside the output folder, of run records and derived images.
DATA_DIR = "niimasker_data"

#: The lock of a batch in the data folder (a shard's adds ``-shard-i-of-N``).
LOCK_NAME = ".niimasker-lock"

#: A temporary from another host is stale after this many seconds.
STALE_SECONDS = 24 * 3600

#: Folders that hold the system, never a batch's outputs (with the root and home).
_SYSTEM_FOLDERS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/opt", "/proc",
    "/root", "/run", "/sbin", "/srv", "/sys", "/usr", "/var", "/home", "/mnt", "/media",
)  # fmt: skip


def check_output_dir(folder: str | Path) -> None:
    """Refuse the file-system root, the user's home and system folders as output folder.

    A batch fills its output folder with tables, sidecars and a report: in
    ``/`` or ``~`` they would mix with everything else there.

    Raises
    ------
    OutputError
        Naming the folder and asking for one of the user's own.
    """
    _check_usable(Path(folder).expanduser(), str(folder))
    resolved = Path(folder).expanduser().resolve()
    forbidden = {Path("/"), Path.home().resolve()} | {
        Path(p).resolve() for p in _SYSTEM_FOLDERS
    }
    if resolved in forbidden:
        raise OutputError(
            "{parameter} {file} is the file-system root, your home folder or a "
            "system folder, where a batch's tables, sidecars and report would "
            "mix with everything else.",
            parameter="output_dir",
            file=str(folder),
            fix="Give a folder of its own for the outputs, e.g. derivatives/niimasker.",
        )


def _output_error(folder: str, problem: str, fix: str) -> OutputError:
    return OutputError(
        "{parameter} {file} " + problem, parameter="output_dir", file=folder, fix=fix
    )


def _check_usable(path: Path, folder: str) -> None:
    """Refuse a folder the outputs cannot be written in: a file, too long a name, a loop.

    Raises
    ------
    OutputError
        Naming the folder, the problem and the fix.
    """
    try:
        limit = os.pathconf(_existing_parent(path), "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    longest = max((len(part.encode()) for part in path.parts), default=0)
    # the longest output name adds about 70 characters to an image's stem
    if longest > limit or len(str(path.absolute()).encode()) > 4000:
        raise _output_error(
            folder,
            f"has a name too long for the file system ({longest} characters in one "
            f"part; at most {limit}).",
            "Give a shorter folder name.",
        )
    try:
        path.resolve(strict=False)
        is_dir, exists = path.is_dir(), path.exists()
    except (RuntimeError, OSError) as exc:  # a loop of symbolic links
        raise _output_error(
            folder, f"cannot be resolved ({exc}).", "Give a real folder."
        ) from None
    if path.is_symlink() and not exists:
        raise _output_error(
            folder,
            "is a symbolic link to nothing (a dangling link).",
            "Remove the link or give another folder.",
        )
    if exists and not is_dir:
        raise _output_error(
            folder, "is a file, not a folder.", "Give a folder (new or existing)."
        )
    if is_dir and not os.access(path, os.W_OK | os.X_OK):
        raise _output_error(
            folder,
            "is not writable by you (read-only), so no output can be written.",
            "Give a folder you can write in, or change its permissions.",
        )


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


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
    """Delete temporaries killed niimasker runs left in ``folder`` and its data folder.

    Only files named as niimasker names its temporaries are considered, and
    only those whose writer is gone (same host) or a day old (another host)
    are deleted.

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
    root = Path(folder)
    # the BIDS layout's folders: sub-<>/[ses-<>/]func and atlases/atlas-<>
    bids = [*root.glob("sub-*/func"), *root.glob("sub-*/ses-*/func")]
    for where in (root, root / DATA_DIR, *bids, *root.glob("atlases/atlas-*")):
        if not where.is_dir() or where.is_symlink():
            continue
        for path in where.iterdir():
            match = TEMPORARY_PATTERN.match(path.name)
            if match is None or path.is_symlink() or not path.is_file():
                continue
            try:
                old = now - path.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
            if old or not _alive(int(match["pid"]), match["host"]):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(str(path))
    return removed


def _lock_name(shard: str | None) -> str:
    if shard is None:
        return LOCK_NAME
    index, count = shard.split("/")
    return f"{LOCK_NAME}-shard-{index}-of-{count}"


def _holder(path: Path) -> dict | None:
    """Return who holds the lock ``path`` when that run may still be going.

    Raises
    ------
    OutputFolderBusyError
        If the lock cannot be read: niimasker writes its locks whole, so an
        unreadable one is not known to be stale.
    """
    try:
        holder = json.loads(path.read_text())
        pid, host = int(holder["pid"]), str(holder["host"])
        young = time.time() - path.stat().st_mtime < STALE_SECONDS
    except FileNotFoundError:
        return None  # gone meanwhile
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputFolderBusyError(
            "{file} is not a lock niimasker can read, so whether another run uses "
            "the output folder is unknown.",
            file=str(path),
            fix="If no niimasker run is writing there, delete the file.",
        ) from None
    return holder if _alive(pid, host) and young else None


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
    for other in sorted(data.glob(f"{LOCK_NAME}*")):
        if shard is not None and other.name not in (LOCK_NAME, mine.name):
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
    _create_lock(mine, folder, shard)
    try:
        yield mine
    finally:
        with contextlib.suppress(OSError):
            mine.unlink()


def _create_lock(lock: Path, folder: str | Path, shard: str | None) -> None:
    """Create the lock whole, in one step: written aside, then linked to its name."""
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "shard": shard,
    }
    writer = f"{uuid.uuid4().hex[:12]}.{os.getpid()}@{socket.gethostname()}"
    aside = lock.with_name(f".{lock.name}.{writer}.niimasker-tmp")
    aside.write_text(json.dumps(record))
    try:
        os.link(aside, lock)  # fails if the lock exists: no two holders
    except FileExistsError:
        raise OutputFolderBusyError(
            f"'output_dir' '{folder}' is being locked by another niimasker run at "
            f"this moment ('{lock}'). Wait for it to finish or use another "
            "'output_dir'."
        ) from None
    except OSError:  # a file system without hard links: exclusive creation
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise OutputFolderBusyError(
                f"'output_dir' '{folder}' is being locked by another niimasker run "
                f"at this moment ('{lock}'). Wait for it to finish."
            ) from None
        with os.fdopen(descriptor, "w") as handle:
            json.dump(record, handle)
    finally:
        with contextlib.suppress(OSError):
            aside.unlink()
