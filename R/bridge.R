# The only file that calls reticulate (besides .onLoad): Python discovery,
# the core handle, calls into the core and the translation of its errors.

# Name of the virtualenv that install_niimasker() creates.
niimasker_envname <- "r-niimasker"

#' Choose the Python interpreter before it starts
#'
#' Order: an interpreter that is already running; `RETICULATE_PYTHON`; the
#' virtualenv `r-niimasker`; reticulate's default. Only looks at files: it
#' never starts Python.
#'
#' @returns Character, invisibly: which rule chose the interpreter.
#' @noRd
configure_python <- function(envname = niimasker_envname) {
  ignore_false_poetry_project()
  if (reticulate::py_available(initialize = FALSE)) {
    return(invisible("initialized"))
  }
  if (nzchar(Sys.getenv("RETICULATE_PYTHON"))) {
    return(invisible("RETICULATE_PYTHON"))
  }
  if (isTRUE(tryCatch(reticulate::virtualenv_exists(envname), error = function(e) FALSE))) {
    # required: an activated VIRTUAL_ENV (e.g. inherited from an R session
    # whose reticulate set it) must not win over the documented order.
    reticulate::use_virtualenv(envname, required = TRUE)
    return(invisible("virtualenv"))
  }
  invisible("default")
}

#' Choose the Python core for building the vignette, or stop
#'
#' The vignette is built by `R CMD build` (in a copy of the source tree, with
#' its `.venv`) or by `make setup-r`. It finds Python as the package does
#' ([configure_python()]: `RETICULATE_PYTHON`, then the virtualenv
#' `install_niimasker()` made) and, when neither is there, the source tree's
#' own virtualenv `.venv` (`make setup-python`), looked for from `start`
#' upwards. Without a Python that imports the core it stops: a vignette
#' without results is never built.
#'
#' @param start Character. Folder to look upwards from (the vignette's).
#' @returns The path of the Python used, invisibly.
#' @noRd
use_build_python <- function(start = getwd()) {
  if (!nzchar(Sys.getenv("RETICULATE_PYTHON"))) {
    Sys.unsetenv("RETICULATE_PYTHON") # reticulate takes a set, empty one as a choice
  }
  if (identical(configure_python(), "default")) {
    python <- source_tree_python(start)
    if (!is.null(python)) {
      reticulate::use_python(python, required = TRUE)
    }
  }
  if (!core_available()) {
    abort_niimasker(
      c("The vignette needs niimasker's Python core to run its code; none was found, so it is not built (it would have no results).",
        x = "Python {.path {current_python()}} can't import nilearn, nibabel and the niimasker core.",
        i = "Run {.code niimasker::install_niimasker()}, or {.code make setup-python} in the source tree (its {.file .venv}), or set {.envvar RETICULATE_PYTHON} to a Python that has them; then build again."),
      class = "python_unavailable"
    )
  }
  invisible(current_python())
}

#' The Python of the source tree's `.venv`, looked for from `start` upwards
#'
#' The source tree is the nearest folder holding a `DESCRIPTION` of package
#' niimasker; its `.venv/bin/python` (`.venv/Scripts/python.exe` on Windows)
#' is returned when it exists.
#' @returns Character path, or `NULL`.
#' @noRd
source_tree_python <- function(start = getwd()) {
  dir <- normalizePath(start, mustWork = FALSE)
  repeat {
    description <- file.path(dir, "DESCRIPTION")
    if (file.exists(description) &&
      identical(unname(read.dcf(description, fields = "Package")[1, 1]), "niimasker")) {
      for (python in file.path(dir, ".venv", c("bin/python", "Scripts/python.exe"))) {
        if (file.exists(python)) {
          return(python)
        }
      }
      return(NULL)
    }
    parent <- dirname(dir)
    if (identical(parent, dir)) {
      return(NULL)
    }
    dir <- parent
  }
}

#' Keep reticulate from taking a non-Poetry pyproject.toml for Poetry
#'
#' reticulate 1.28 takes any `pyproject.toml` with a `[tool]` table (here
#' the project's own, for setuptools and ruff) for a Poetry project, because
#' `toml[[c("tool", "poetry")]]` is `NULL` rather than an error, and warns
#' "This project appears to use Poetry" when `poetry` is not installed.
#' Unless the folder really uses Poetry, point reticulate's Poetry project at
#' a folder without one.
#' @noRd
ignore_false_poetry_project <- function(dir = project_root()) {
  toml <- file.path(dir, "pyproject.toml")
  if (!is.null(getOption("reticulate.poetry.project")) || !file.exists(toml)) {
    return(invisible(FALSE))
  }
  if (any(grepl("^\\s*\\[tool\\.poetry", readLines(toml, warn = FALSE)))) {
    return(invisible(FALSE))
  }
  options(reticulate.poetry.project = file.path(tempdir(), "no-poetry-project"))
  invisible(TRUE)
}

#' The folder reticulate looks for a Poetry project in
#'
#' reticulate 1.28 asks `here::here()`, the project root above the working
#' directory; the nearest folder upwards holding a `pyproject.toml` stands in
#' for it (here is not a dependency).
#' @noRd
project_root <- function(dir = getwd()) {
  repeat {
    if (file.exists(file.path(dir, "pyproject.toml"))) {
      return(dir)
    }
    parent <- dirname(dir)
    if (identical(parent, dir)) {
      return(getwd())
    }
    dir <- parent
  }
}

#' Is the Python core importable, with nilearn and nibabel?
#'
#' Starts Python if it has not started yet.
#' @returns `TRUE` or `FALSE`.
#' @noRd
core_available <- function() {
  ok <- tryCatch(
    reticulate::py_module_available("nilearn") &&
      reticulate::py_module_available("nibabel") &&
      !is.null(reticulate::import_from_path(
        "niimasker_core", core_path(), convert = FALSE
      )),
    error = function(e) FALSE
  )
  isTRUE(ok)
}

#' Directory holding the Python core inside the installed package
#' @noRd
core_path <- function() {
  system.file("python", package = "niimasker")
}

#' Does the core's API have a function of this name?
#' @noRd
core_has <- function(fn) {
  core_available() && reticulate::py_has_attr(core$faces$api, fn)
}

#' Call a function of the core's R bridge and return its result
#'
#' Calls `niimasker_core.faces.r_bridge.<fn>`, which runs the API under
#' `warnings.catch_warnings()`. Every warning the core gave is re-signalled
#' as an R warning of class `niimasker_warning_<kind>`; a niimasker error is
#' raised as `niimasker_error_<kind>`, both worded for R.
#'
#' @param fn Character. Name of a function in `niimasker_core.faces.r_bridge`.
#' @param args Named list of arguments, already converted (see convert.R).
#' @param call Environment. The user's call, for error messages.
#' @param rename Function applied to every message (e.g. naming temporary
#'   confound files as the data frames they hold).
#' @returns The result converted with [reticulate::py_to_r()]: Python dicts
#'   become named lists and `bytearray`s raw vectors.
#' @noRd
call_core <- function(fn, args, call = rlang::caller_env(), rename = identity) {
  require_core(call)
  bridge <- core_bridge()
  out <- with_core_errors(do.call(bridge[[fn]], args), call = call)
  out <- reticulate::py_to_r(out)
  for (warning in out$warnings) {
    warn_core(warning, rename = rename)
  }
  if (!is.null(out$error)) {
    abort_core(out$error, rename = rename, call = call)
  }
  out$result
}

#' The core's R bridge module, imported once per session
#' @noRd
core_bridge <- function() {
  if (is.null(bridge_cache$module)) {
    bridge_cache$module <- reticulate::import_from_path(
      "niimasker_core.faces.r_bridge", core_path(), convert = FALSE
    )
  }
  bridge_cache$module
}

bridge_cache <- new.env(parent = emptyenv())

#' A Python-callable progress callback, or `NULL`
#'
#' @param show Logical. Whether to show a progress bar.
#' @param envir Environment. The bar ends when this frame exits.
#' @noRd
progress_callback <- function(show, envir = parent.frame()) {
  if (!show) {
    return(NULL)
  }
  bar <- NULL
  update <- function(done, total, image) {
    if (is.null(bar)) {
      bar <<- cli::cli_progress_bar("Extracting", total = as.integer(total), .envir = envir)
    }
    cli::cli_progress_update(id = bar, set = as.integer(done), .envir = envir)
    invisible(NULL)
  }
  reticulate::py_func(update)
}

#' A Python-callable that shows the core's verbose lines as R messages
#'
#' The core calls it only when `verbose` is `TRUE` (argument or config), once
#' per image; a message, so [suppressMessages()] and knitr see it.
#' @noRd
verbose_callback <- function() {
  reticulate::py_func(function(line) {
    cli::cli_inform(cli_escape(as.character(line)), class = "niimasker_message_image")
    invisible(NULL)
  })
}

#' Raise `niimasker_error_python_unavailable` unless the core can be imported
#' @noRd
require_core <- function(call = rlang::caller_env(), available = core_available(),
                         python = current_python()) {
  if (available) {
    return(invisible(TRUE))
  }
  abort_niimasker(
    c("The Python core of niimasker can't be used.",
      x = "Python {.path {python}} can't import nilearn, nibabel and the niimasker core.",
      i = "Run {.code niimasker::install_niimasker()} once, then restart R.",
      i = "Or set {.envvar RETICULATE_PYTHON} to a Python that has nilearn and nibabel (see {.code ?install_niimasker})."),
    class = "python_unavailable", call = call
  )
}

#' The Python interpreter reticulate uses (or would use)
#' @noRd
current_python <- function() {
  tryCatch(reticulate::py_config()$python, error = function(e) "(none found)")
}

#' Evaluate a call into Python, turning its exceptions into R conditions
#'
#' Works on reticulate 1.28, whose errors carry no Python class, by reading
#' [reticulate::py_last_error()].
#'
#' @param expr An expression calling the core.
#' @param call Environment. The user's call, for error messages.
#' @noRd
with_core_errors <- function(expr, call = rlang::caller_env()) {
  reticulate::py_last_error(NULL)
  tryCatch(expr, error = function(cnd) rethrow_core_error(cnd, call))
}

rethrow_core_error <- function(cnd, call) {
  last <- reticulate::py_last_error()
  if (is.null(last)) {
    # The failure happened in R, not in Python: pass it on unchanged.
    rlang::cnd_signal(cnd)
  }
  # py_last_error() is left set, so users can still read the traceback.
  abort_python_error(
    type = last$type,
    mro = our_error_mro(attr(last, "exception", exact = TRUE)),
    py_message = last$value,
    traceback = paste(last$traceback, collapse = ""),
    call = call
  )
}

#' The niimasker error classes an exception is an instance of
#' @returns Character: class names from `niimasker_core.errors.__all__`,
#'   most specific first; empty if the exception is not one of ours.
#' @noRd
our_error_mro <- function(exception) {
  if (is.null(exception)) {
    return(character())
  }
  ours <- core_error_classes()
  mro <- reticulate::py_eval(
    "lambda e: [c.__name__ for c in type(e).__mro__ if c.__module__ == 'niimasker_core.errors']"
  )(exception)
  mro <- as.character(unlist(mro))
  mro[mro %in% ours]
}

#' The error classes listed in `niimasker_core.errors.__all__` (not the warnings)
#' @noRd
core_error_classes <- function() {
  errors <- reticulate::py_eval(paste(
    "lambda m: [n for n in m.__all__ if isinstance(getattr(m, n), type)",
    "and issubclass(getattr(m, n), m.NiimaskerError)]"
  ))(core$errors)
  as.character(unlist(errors))
}

#' Parameter names and defaults of a function of the core's API
#'
#' Used by the contract test that keeps R formals and Python parameters equal.
#' @returns A named list: parameter name -> default (`NULL` for `None` or no
#'   default).
#' @noRd
core_signature <- function(fn) {
  pairs <- reticulate::py_eval(paste(
    "lambda f: [[n, None if p.default is p.empty else p.default]",
    "for n, p in __import__('inspect').signature(f).parameters.items()]"
  ))(core$faces$api[[fn]])
  stats::setNames(lapply(pairs, `[[`, 2L), vapply(pairs, `[[`, "", 1L))
}

#' Create the virtualenv and install the core's requirements into it
#'
#' `LD_LIBRARY_PATH` is unset meanwhile: R sets it, and a pyenv Python started
#' from R then loads Debian's libpython and loses `ssl`, so pip can't reach
#' PyPI (see R_TOOLCHAIN.md).
#' @noRd
install_core_env <- function(envname, python, packages, force) {
  old <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  Sys.unsetenv("LD_LIBRARY_PATH")
  on.exit(if (!is.na(old)) Sys.setenv(LD_LIBRARY_PATH = old), add = TRUE)
  if (force && reticulate::virtualenv_exists(envname)) {
    reticulate::virtualenv_remove(envname, confirm = FALSE)
  }
  reticulate::virtualenv_create(envname, python = python)
  reticulate::virtualenv_install(envname, packages = packages, ignore_installed = FALSE)
  invisible(reticulate::virtualenv_python(envname))
}

#' Has Python already started in this R session?
#' @noRd
python_started <- function() {
  reticulate::py_available(initialize = FALSE)
}

#' Names of the parameters declared in `niimasker_core.params.declarations.PARAMETERS`
#'
#' Used by the contract test that keeps the R formals and the Python
#' declaration equal.
#' @noRd
core_parameter_names <- function() {
  settings <- reticulate::import_from_path("niimasker_core.params.declarations", core_path(), convert = FALSE)
  names <- reticulate::py_eval("lambda ps: [p.name for p in ps]")(settings$PARAMETERS)
  as.character(unlist(names))
}
