#' Install the Python packages niimasker needs
#'
#' Creates (or updates) a Python virtualenv named `"r-niimasker"` and installs
#' nilearn, nibabel and the other requirements of the package's Python core
#' into it with pip. Run it once; later R sessions find the virtualenv on
#' their own unless `RETICULATE_PYTHON` points elsewhere. Restart R afterwards
#' if Python had already started in this session.
#'
#' Python is found in this order: the `RETICULATE_PYTHON` environment
#' variable, then the `"r-niimasker"` virtualenv, then reticulate's default.
#'
#' @param envname Character. Name of the virtualenv.
#' @param python Character. The Python interpreter the virtualenv is created
#'   from. `NULL`: reticulate's choice of a Python 3.
#' @param force Logical. Delete the virtualenv first and create it anew.
#'
#' @returns The path of the virtualenv's Python, invisibly. A message says
#'   where the virtualenv is (under reticulate's `WORKON_HOME`, by default
#'   `~/.virtualenvs/r-niimasker`).
#' @family setup
#' @export
#' @examples
#' \dontrun{
#' install_niimasker()
#' }
install_niimasker <- function(envname = "r-niimasker", python = NULL, force = FALSE) {
  check_string(envname, allow_null = FALSE)
  check_string(python)
  check_flag(force)
  requirements <- readLines(file.path(core_path(), "requirements.txt"), warn = FALSE)
  requirements <- trimws(sub("#.*$", "", requirements))
  requirements <- requirements[nzchar(requirements)]
  path <- install_core_env(envname, python = python, packages = requirements, force = force)
  venv <- dirname(dirname(path))
  cli::cli_inform(c(
    v = "Installed nilearn, nibabel and the core's other requirements into the virtualenv {.val {envname}}:",
    " " = "{.path {venv}}",
    i = "Its Python: {.path {path}}. Later R sessions use it unless {.envvar RETICULATE_PYTHON} is set.",
    if (python_started()) c(i = "Restart R to use it: Python has already started in this session.")
  ))
  invisible(path)
}

#' Is the Python core of niimasker available?
#'
#' `TRUE` when Python can import nilearn, nibabel and the package's Python
#' core. Starts Python if it has not started yet (so it fixes the interpreter
#' for the session). Use it to skip code that needs Python.
#'
#' @returns `TRUE` or `FALSE`.
#' @family setup
#' @export
#' @examples
#' niimasker_python_available()
niimasker_python_available <- function() {
  core_available()
}
