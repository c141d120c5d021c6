#!/bin/sh
# Set up niimasker on Debian 12 and run a Makefile target:  sh bootstrap.sh demo | test | check | ...
#
# Installs, from Debian's packages, only what is missing (make, Python 3 with venv and its shared
# library for R, R with the packages the R side needs, pandoc, and the reference tools the tests
# compare with), then runs `make TARGET`, which
# makes the Python virtualenv (.venv, packages from PyPI) and the R library (.Rlib).
# With no target it only installs the system packages. Run as root (or with sudo for apt-get).
set -eu
cd "$(dirname "$0")"

# Debian packages by what they provide; each is installed only when its check fails.
R_PACKAGES="r-base-core r-cran-reticulate r-cran-tibble r-cran-testthat r-cran-withr \
r-cran-knitr r-cran-rmarkdown r-cran-roxygen2 r-cran-jsonlite r-cran-cli r-cran-rlang pandoc \
r-cran-pkgdown"
# Tools the tests use: Connectome Workbench (wb_command), the CIFTI oracle, and Chromium, the
# browser the report is opened in (headless, tests/python/batch/test_report_browser.py).
TEST_TOOLS="connectome-workbench chromium"

missing=""
want() { missing="$missing $1"; }
has_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

command -v make >/dev/null 2>&1 || want make
if command -v python3 >/dev/null 2>&1; then
  # Debian splits venv/ensurepip out of python3; a pyenv or other Python has them built in.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || want python3-venv
  # reticulate embeds Python through its shared library: Debian ships it separately.
  if [ "$(command -v python3)" = /usr/bin/python3 ]; then
    has_deb libpython3-dev || want libpython3-dev
  fi
else
  want python3; want python3-venv; want libpython3-dev
fi
for p in $R_PACKAGES $TEST_TOOLS; do has_deb "$p" || want "$p"; done

if [ -n "$missing" ]; then
  echo "bootstrap: installing from Debian:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "$#" -eq 0 ] || exec make "$@"
