# Run by R CMD check. Tests that need the Python core skip without it, unless
# NIIMASKER_REQUIRE_PYTHON=true (make check, CI), where they fail.
library(testthat)
library(niimasker)

test_check("niimasker")
