"""The ``niimasker`` command: argparse -> api -> files and an exit code.

Exit codes: 0 success; 2 bad input (usage errors, any ``NiimaskerError``,
or images that failed because of their input); 1 a bug.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .. import errors
from ..batch.results import ExtractionFailure, ExtractionResult
from ..errors import NiimaskerError, Worded
from ..params.coercion import true_or_false
from ..params.declarations import PARAMETERS, Parameter
from ..params.vocabulary import suggest
from ..version import __version__
from .api import plan_settings, resolve_settings, run_with_values

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line with a "did you mean" hint."""

    #: Words after a value-less flag that are not its values: ``(flag, word, problem)``
    #: (set by :func:`_spell_bare_flags`), named when a word is left over.
    bare_followers: tuple[tuple[str, str, str], ...] = ()

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # noqa: D102
        parsed, extras = self.parse_known_args(args, namespace)
        for flag, word, problem in self.bare_followers:
            # '--standardize yes': 'yes' is left over, or taken as OUTPUT_DIR
            # and the real output folder is left over
            taken = getattr(parsed, "output_dir", None) == word
            if word in extras or (taken and extras and extras[0][:1] != "-"):
                self.error(f"argument {flag}: {problem}")
        if extras:
            flags = [o for a in self._actions for o in a.option_strings]
            bad = extras[0]
            hint = suggest(bad.split("=")[0], flags) if bad.startswith("-") else ""
            self.error(f"unrecognized argument {bad!r}{hint}")
        return parsed

    def error(self, message: str) -> NoReturn:  # noqa: D102
        self.exit(2, f"{self.prog}: error: {message}. See '{self.prog} -h'.\n")


def _flag_names(param: Parameter) -> list[str]:
    names = [f"--{param.name}"]
    if "_" in param.name:
        names.append(f"--{param.name.replace('_', '-')}")
    if param.short:
        names.insert(0, param.short)
    return names


def _flag_options(param: Parameter) -> dict[str, Any]:
    """Return ``add_argument`` keywords for one declaration."""
    help_text = param.help
    if param.default not in (None, (), False):
        help_text += f" Default: {param.default}."
    options: dict[str, Any] = {"dest": param.name, "help": help_text}
    if param.many:  # -r a b, or -r a -r b
        options.update(nargs="+", action="extend")
    elif param.repeat:  # -m a=x -m b=y: one word each, so -m x OUTPUT_DIR still works
        options.update(action="append")
    if param.bare:
        options.update(nargs="?", const=True)
    if param.word is not None:
        options["type"] = _typed(param.word)
    if param.choices and param.word is None:
        options["choices"] = param.choices
    else:
        options["metavar"] = param.metavar or (
            "{true,false}" if param.word is true_or_false else param.name
        )
    return options


def _typed(word: Any) -> Any:
    """Wrap a word's converter so that argparse says what the word must be."""
    expected = {int: "a whole number", float: "a number"}.get(word)

    def convert(text: str) -> Any:
        try:
            return word(text)
        except ValueError as exc:
            problem = f"expected {expected}, got {text!r}" if expected else str(exc)
            raise argparse.ArgumentTypeError(problem) from None

    convert.__name__ = getattr(word, "__name__", "value")
    return convert


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser; flags are built from ``declarations.PARAMETERS``."""
    parser = _Parser(
        prog="niimasker",
        description=(
            "Extract region-of-interest or voxel timeseries from 4D fMRI NIfTI "
            "images, cleaned as nilearn's maskers clean them, and write one TSV per "
            "image to OUTPUT_DIR."
        ),
        epilog=(
            "A JSON config (-c) takes the same keys as the long flags; its values "
            "override flags given on the command line. Example: niimasker out/ -i "
            "'sub-*_bold.nii.gz' -r atlas.nii.gz --regressor_files "
            "'sub-*_desc-confounds_timeseries.tsv' --regressors Params6 --t_r 2 "
            "--high_pass 0.01 --detrend --standardize"
        ),
        argument_default=argparse.SUPPRESS,
    )
    for param in PARAMETERS:
        if param.command == "positional":
            parser.add_argument(
                param.name, nargs="?", metavar=param.name.upper(), help=param.help
            )
        parser.add_argument(*_flag_names(param), **_flag_options(param))
    parser.add_argument(
        "--regressor_names",
        "--regressor-names",
        nargs="+",
        dest="regressor_names",
        help="Deprecated: use --regressors.",
    )
    parser.add_argument(
        "-c", "--config", dest="config", help="A JSON config file (see above)."
    )
    parser.add_argument(
        "--dry_run",
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="Print which image goes with which confounds file, TR and output file, "
        "then exit without reading image data.",
    )
    parser.add_argument(
        "--version", action="version", version=f"niimasker {__version__}"
    )
    return parser


def _spell_bare_flags(
    argv: Sequence[str], parser: argparse.ArgumentParser | None = None
) -> list[str]:
    """Write a bare boolean flag as ``--flag=true``, a value ``-1/2`` as ``--flag=-1/2``.

    A flag such as ``--detrend`` takes an optional value; written bare before
    the output folder, argparse would take the folder as its value. A word
    after it that is not one of its values is noted on ``parser``
    (``bare_followers``), so that a left-over ``yes`` is reported as a bad
    value of that flag. A value starting with ``-`` that is no flag
    (``--shard -1/2``) is joined to its flag, so that the parameter's own
    check says what is wrong with it.
    """
    bare = {name: p for p in PARAMETERS if p.bare for name in _flag_names(p)}
    single = {
        name
        for p in PARAMETERS
        if not (p.bare or p.many or p.repeat)
        for name in _flag_names(p)
    }
    flags = {o for a in parser._actions for o in a.option_strings} if parser else set()
    followers = []
    out: list[str | None] = list(argv)
    for i, token in enumerate(out):
        following = out[i + 1] if i + 1 < len(out) else None
        if token in single and following and following.startswith("-"):
            if following not in flags and following.split("=")[0] not in flags:
                out[i], out[i + 1] = f"{token}={following}", None
            continue
        if token not in bare:
            continue
        try:
            takes_value = following is not None and not following.startswith("-")
            takes_value = takes_value and bare[token].word(following) is not None
        except ValueError as exc:
            takes_value = False
            followers.append((token, following, str(exc)))
        if not takes_value:
            out[i] = f"{token}=true"
    if parser is not None:
        parser.bare_followers = tuple(followers)
    return [token for token in out if token is not None]


class _Progress:
    """A progress bar on stderr when it is a terminal: images done, rate and ETA."""

    def __init__(self, stream: Any, width: int = 24) -> None:
        self.stream = stream
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.width = width
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int, image: str) -> None:
        if not self.live:
            return
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if done == total else ""
        self.stream.write(
            f"\rniimasker: [{bar}] {done}/{total} images, {rate:.2f}/s, "
            f"ETA {_clock(eta)} ({Path(image).name})\x1b[K{end}"
        )
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _verbose_line(outcome: Any) -> None:
    """Print one line per image: written, skipped or failed, with its time."""
    if getattr(outcome, "error_type", None) is not None:
        status = f"failed ({outcome.error_type})"
    else:
        status = "skipped (up to date)" if outcome.skipped else "written"
    sys.stderr.write(
        f"\rniimasker: {status}: {outcome.image} ({outcome.seconds:.1f} s)\x1b[K\n"
        if sys.stderr.isatty()
        else f"niimasker: {status}: {outcome.image} ({outcome.seconds:.1f} s)\n"
    )


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    text = message.render("command") if isinstance(message, Worded) else message
    sys.stderr.write(f"niimasker: warning: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code (also used as the process status)."""
    argv = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser()
    args = vars(parser.parse_args(_spell_bare_flags(argv, parser)))
    config = args.pop("config", None)
    dry_run = args.pop("dry_run", False)
    for param in PARAMETERS:  # one -m is its value, as in a config; several a list
        if param.repeat and len(args.get(param.name) or ()) == 1:
            args[param.name] = args[param.name][0]
    if "regressor_names" in args:
        sys.stderr.write(
            "niimasker: warning: --regressor_names is deprecated; use --regressors.\n"
        )
        args.setdefault("regressors", args.pop("regressor_names"))
        args.pop("regressor_names", None)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("niimasker: warning: %(message)s"))
    logger = logging.getLogger("niimasker")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.showwarning = _show_warning
            settings = resolve_settings(args, config)
            if dry_run:
                _print_plan(plan_settings(settings), settings.output_dir or ".")
                return 0
            if settings.output_dir is None:
                parser.error(
                    "the output folder is required: give OUTPUT_DIR, --output_dir "
                    "or the config key 'output_dir'"
                )
            result = run_with_values(
                settings,
                progress=_Progress(sys.stderr),
                command="niimasker " + shlex.join(argv),
                raise_if_all_failed=False,
                on_image=_verbose_line if settings.verbose else None,
                with_values=False,  # written to files; not kept for return
            )
    except NiimaskerError as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc.render('command')}\n")
        return 2
    finally:
        logger.removeHandler(handler)
    for failure in result.failures:
        sys.stderr.write(f"{failure.error_type}: {failure.message_for('command')}\n")
    n_failed = len(result.failures)
    code = 0 if not n_failed else 2 if _all_user_errors(result.failures) else 1
    if result.timeseries or not n_failed:  # when all failed, the failures say it
        sys.stderr.write(_summary(result, settings.output_dir, code))
    return code


def _summary(result: ExtractionResult, output_dir: str, code: int) -> str:
    """Return the end-of-batch line: written, skipped, failed, time, exit code."""
    n_skipped = len(result.skipped)  # images (each with every ROI set)
    n_written = len({item.file for item in result.timeseries}) - n_skipped
    return (
        f"niimasker: {n_written} written, {n_skipped} skipped (up to date), "
        f"{len(result.failures)} failed in {result.seconds:.1f} s; outputs in "
        f"{output_dir}; exit code {code}\n"
    )


def _print_plan(rows: list[dict[str, Any]], output_dir: str) -> None:
    """Print the dry-run table: image -> confounds -> TR -> output file."""
    header = ("image", "confounds", "paired_by", "t_r", "t_r_source", "output")
    lines = [header]
    for row in rows:
        t_r = "n/a" if row["t_r"] is None else f"{row['t_r']:g}"
        lines.append(
            (
                row["image"],
                row["confounds"] or "-",
                row["paired_by"] or "-",
                t_r,
                row["t_r_source"] or "-",
                f"{output_dir.rstrip('/')}/{row['output']}",
            )
        )
    sys.stdout.write("\n".join("\t".join(line) for line in lines) + "\n")


def _all_user_errors(failures: list[ExtractionFailure]) -> bool:
    return all(f.error_type in errors.__all__ for f in failures)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
