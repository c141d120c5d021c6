"""The ``niimasker`` command: argparse -> api -> files and an exit code.

Exit codes: 0 success; 2 bad input (usage errors, any ``NiimaskerError``,
or images that failed because of their input); 1 a bug.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .api import plan_with_values, run_with_values
from .errors import NiimaskerError
from .settings import (
    COMPCOR_TYPES,
    CONFOUND_MODELS,
    ICA_AROMA_TYPES,
    NAN_POLICIES,
    OUTPUT_VOLUMES,
    PARAMETERS,
    REDUCTION_STRATEGIES,
    STANDARDIZE_CHOICES,
)
from .version import __version__

__all__ = ["build_parser", "main"]

_SHORT = {"input_files": "-i", "roi_file": "-r", "mask_img": "-m"}
_LISTS = {"input_files", "labels", "regressor_files", "regressors"}
_FLAGS = {"as_voxels", "allow_overlap", "detrend"}
_FLOATS = {
    "radius",
    "t_r",
    "high_pass",
    "low_pass",
    "smoothing_fwhm",
    "fd_threshold",
    "std_dvars_threshold",
}
_INTS = {"n_jobs", "scrub"}  # discard_scans also takes "auto": settings checks it
_CHOICES = {
    "strategy": REDUCTION_STRATEGIES,
    "output_volumes": OUTPUT_VOLUMES,
    "motion": CONFOUND_MODELS,
    "wm_csf": CONFOUND_MODELS,
    "global_signal": CONFOUND_MODELS,
    "compcor": COMPCOR_TYPES,
    "ica_aroma": ICA_AROMA_TYPES,
    "nan_policy": NAN_POLICIES,
}
_BOOL_TEXT = {"standardize_confounds", "demean", "report"}


def _bool_text(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return lowered == "true"


def _standardize_text(text: str) -> bool | str:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in STANDARDIZE_CHOICES:
        return lowered
    raise argparse.ArgumentTypeError(
        f"expected true, false, {', '.join(STANDARDIZE_CHOICES)}; got {text!r}"
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser; flags are built from ``settings.PARAMETERS``."""
    parser = argparse.ArgumentParser(
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
    parser.add_argument("output_dir", help="The folder where outputs are written.")
    for param in PARAMETERS:
        names = [f"--{param.name}"]
        if "_" in param.name:
            names.append(f"--{param.name.replace('_', '-')}")
        if param.name in _SHORT:
            names.insert(0, _SHORT[param.name])
        help_text = param.help
        if param.default not in (None, (), False):
            help_text += f" Default: {param.default}."
        kwargs: dict[str, Any] = {"dest": param.name, "help": help_text}
        if param.name in _FLAGS:
            kwargs["action"] = "store_true"
        elif param.name == "standardize":
            kwargs.update(
                nargs="?", const=True, type=_standardize_text, metavar="METHOD"
            )
        elif param.name in _BOOL_TEXT:
            kwargs.update(type=_bool_text, metavar="{true,false}")
        elif param.name in _LISTS:
            kwargs.update(nargs="+", metavar=param.metavar)
        elif param.name in _FLOATS:
            kwargs.update(type=float, metavar=param.metavar)
        elif param.name in _INTS:
            kwargs.update(type=int, metavar=param.metavar)
        elif param.name in _CHOICES:
            kwargs.update(choices=_CHOICES[param.name])
        else:
            kwargs.update(metavar=param.metavar)
        parser.add_argument(*names, **kwargs)
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


class _Progress:
    """Files done, on one line of stderr when it is a terminal."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int, image: str) -> None:
        if self.live:
            end = "\n" if done == total else ""
            self.stream.write(
                f"\rniimasker: {done}/{total} images done ({image})\x1b[K{end}"
            )
            self.stream.flush()


def _show_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    sys.stderr.write(f"niimasker: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code (also used as the process status)."""
    args = vars(build_parser().parse_args(argv))
    output_dir = args.pop("output_dir")
    config = args.pop("config", None)
    dry_run = args.pop("dry_run", False)
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
    command = "niimasker " + shlex.join(
        list(argv) if argv is not None else sys.argv[1:]
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.showwarning = _show_warning
            if dry_run:
                _print_plan(plan_with_values(args, config), output_dir)
                return 0
            result = run_with_values(
                args,
                config,
                output_dir,
                progress=_Progress(sys.stderr),
                command=command,
            )
    except NiimaskerError as exc:
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return 2
    finally:
        logger.removeHandler(handler)
    for failure in result["failures"]:
        sys.stderr.write(f"{failure['error_type']}: {failure['message']}\n")
    n_ok, n_failed = len(result["timeseries"]), len(result["failures"])
    sys.stderr.write(
        f"niimasker: wrote {n_ok} timeseries to {output_dir}"
        + (f"; {n_failed} image(s) failed" if n_failed else "")
        + "\n"
    )
    if not n_failed:
        return 0
    return 2 if _all_user_errors(result["failures"]) else 1


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


def _all_user_errors(failures: list[dict[str, Any]]) -> bool:
    from . import errors

    return all(f["error_type"] in errors.__all__ for f in failures)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
