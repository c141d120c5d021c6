#!/usr/bin/env bash
# Build both documentation sites offline, warnings as errors, then check their links:
#   build/docs/python  Sphinx (docs/python: the guide, the command's and the API reference),
#                      its `testcode` examples run on the bundled data by the doctest builder;
#   build/docs/r       pkgdown (reference pages from roxygen, the vignette as an article).
# Called by `make docs` and by the test command (scripts/run_tests.sh). Prints page counts and time.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
start=$(date +%s)
rm -rf build/docs
"$VENV/bin/sphinx-build" -q -E -W --keep-going -b html docs/python build/docs/python
"$VENV/bin/sphinx-build" -q -E -W --keep-going -b doctest docs/python build/docs/doctest
Rscript scripts/build_r_site.R >build/docs-r.log 2>&1 \
  || { cat build/docs-r.log; echo "docs: the R site (pkgdown) failed: see above"; exit 1; }
"$VENV/bin/python" scripts/check_docs.py build/docs/python build/docs/r
echo "docs: built in $(( $(date +%s) - start )) s"
