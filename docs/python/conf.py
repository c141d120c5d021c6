"""Sphinx configuration of niimasker's Python documentation (``make docs``).

Built offline from the repository: the guide is Markdown (MyST), the command's
reference comes from the parameter declarations (``_ext/niimasker_docs.py``),
the API reference from the docstrings (autodoc + numpydoc), and the guide's
``testcode`` examples run on the bundled example data when ``make docs`` runs
the doctest builder, so they cannot rot.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT / "inst" / "python"))

from niimasker_core import __version__  # noqa: E402

project = "niimasker"
author = "niimasker developers"
copyright = "niimasker developers"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "numpydoc",
    "niimasker_docs",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = f"niimasker {version}"
html_theme_options = {
    "description": "Fast, nilearn-exact fMRI timeseries",
    "fixed_sidebar": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_static_path: list[str] = []

autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The guide's examples run from the repository's root on the bundled data;
# whatever they write goes to a temporary folder.
doctest_global_setup = f"""
import os, tempfile
os.chdir({str(ROOT)!r})
OUT = tempfile.mkdtemp(prefix="niimasker-docs-")
"""
doctest_global_cleanup = """
import shutil
shutil.rmtree(OUT, ignore_errors=True)
"""


def _escape_stars(app, what, name, obj, options, lines):
    """Write a literal ``*`` of the parameters' help (``'sub-*/func/*bold.nii.gz'``) as text.

    The help is shared with ``niimasker -h``, where a star is a wildcard, not
    reStructuredText emphasis.
    """
    import re

    quoted = re.compile(r"'[^'\s]*\*[^'\s]*'")
    for i, line in enumerate(lines):
        lines[i] = quoted.sub(lambda m: "``" + m.group(0) + "``", line)


def setup(app):
    """Connect the docstring hook."""
    app.connect("autodoc-process-docstring", _escape_stars)
