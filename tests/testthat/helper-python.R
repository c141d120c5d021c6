# Tests that need the Python core start with skip_if_no_core(). It skips when
# the core is missing, except under NIIMASKER_REQUIRE_PYTHON=true (make test,
# make check, CI), where a missing core is a failure.
skip_if_no_core <- function() {
  if (niimasker_python_available()) {
    return(invisible(TRUE))
  }
  if (identical(tolower(Sys.getenv("NIIMASKER_REQUIRE_PYTHON")), "true")) {
    rlang::abort(paste(
      "The Python core is not available but NIIMASKER_REQUIRE_PYTHON=true.",
      "Set RETICULATE_PYTHON to a Python with the core's requirements."
    ))
  }
  testthat::skip("The Python core of niimasker is not available.")
}
