"""The distribution a Python user installs: built as sdist and wheel, imported as ``niimasker``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import niimasker
import niimasker_core

ROOT = Path(__file__).resolve().parents[2]
#: What the build reads: pyproject's metadata, the README it ships, the packages.
SOURCES = ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "inst/python")


def test_import_niimasker_is_the_core_api():
    assert sorted(niimasker.__all__) == sorted([*niimasker_core.__all__, "errors"])
    for name in niimasker_core.__all__:
        assert getattr(niimasker, name) is getattr(niimasker_core, name), name
    assert niimasker.errors is niimasker_core.errors


def test_dir_lists_the_lazily_imported_maskers():
    for module in (niimasker_core, niimasker):
        listed = dir(module)
        assert "NiftiLabelsMasker" in listed
        assert "SurfaceMasker" in listed
        assert set(module.__all__) <= set(listed)


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(src, dest / name, ignore=skip)
        else:
            shutil.copy2(src, dest / name)
    return dest


def test_sdist_and_wheel_install_in_a_fresh_venv(tmp_path):
    """``python -m build`` makes both; the wheel, alone, gives the import and the command."""
    src = _copy_sources(tmp_path / "src")
    dist = tmp_path / "dist"
    # --no-isolation: build with this venv's setuptools and wheel, nothing downloaded;
    # the wheel is built from the sdist, so the sdist is checked to be complete.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    version = niimasker_core.__version__
    sdist = dist / f"niimasker-{version}.tar.gz"
    wheel = dist / f"niimasker-{version}-py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file(), sorted(p.name for p in dist.iterdir())
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"niimasker-{version}.dist-info/METADATA").decode()
    assert "Requires-Dist: nilearn" in metadata
    assert "niimasker/__init__.py" in names
    assert "niimasker_core/batch/report/template.html" in names
    with tarfile.open(sdist) as tf:
        assert f"niimasker-{version}/inst/python/requirements.txt" in tf.getnames()

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # The dependencies come from this venv's site-packages (a plain path: its .pth
    # files, such as the editable install of this tree, are not read).
    site = Path(
        subprocess.run(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "zz_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = (
        "import niimasker, niimasker_core; "
        "print(niimasker_core.__file__); print(niimasker.__version__); "
        "print(niimasker.NiftiLabelsMasker.__module__)"
    )
    out = subprocess.run(
        [str(python), "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.split()
    assert Path(out[0]).is_relative_to(venv), out[0]
    assert out[1] == version
    assert out[2].startswith("niimasker_core.maskers")

    bold = ROOT / "inst/extdata/fmriprep/sub-01/func"
    bold = next(bold.glob("*_desc-preproc_bold.nii.gz"))
    run = subprocess.run(
        [
            str(venv / "bin" / "niimasker"),
            str(tmp_path / "out"),
            "-i",
            str(bold),
            "-r",
            str(ROOT / "inst/extdata/atlas-synthetic12_dseg.nii.gz"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "out").glob("*_timeseries.tsv"))
