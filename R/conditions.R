# Errors raised by the package: one constructor and the Python -> R class map.

#' Raise a classed niimasker error
#'
#' A thin wrapper over [cli::cli_abort()] that adds the classes
#' `niimasker_error_<class>` and `niimasker_error`.
#'
#' @param message Character. A cli message (header, then `x`/`i` bullets).
#' @param class Character or `NULL`. Suffixes for `niimasker_error_<class>`,
#'   most specific first. `NULL` gives only the parent class `niimasker_error`.
#' @param ... Fields stored in the condition.
#' @param call Environment. The call the error is reported for.
#' @param .envir Environment. Where the message's `{}` are evaluated.
#' @noRd
abort_niimasker <- function(message, class = NULL, ..., call = rlang::caller_env(),
                            .envir = parent.frame()) {
  classes <- c(if (length(class)) paste0("niimasker_error_", class), "niimasker_error")
  cli::cli_abort(message, class = classes, ..., call = call, .envir = .envir)
}

#' Turn a Python exception class name into the suffix of its R class
#'
#' `"AtlasFetchError"` becomes `"atlas_fetch"`; the base class
#' `"NiimaskerError"` has no suffix of its own.
#'
#' @param type Character vector of Python class names.
#' @returns Character vector of snake_case suffixes (`NA` for the base class).
#' @noRd
py_error_suffix <- function(type) {
  stem <- sub("Error$", "", type)
  snake <- tolower(gsub("([a-z0-9])([A-Z])", "\\1_\\2", stem))
  snake[type == "NiimaskerError"] <- NA_character_
  snake
}

#' Escape a literal string so that cli prints it unchanged
#' @noRd
cli_escape <- function(x) {
  gsub("}", "}}", gsub("{", "{{", x, fixed = TRUE), fixed = TRUE)
}

#' Re-raise a Python exception as a classed R error
#'
#' @param type Character. The Python class name.
#' @param mro Character. The class names of its MRO that are ours
#'   (listed in `niimasker_core.errors.__all__`), most specific first;
#'   empty for an exception that is not ours.
#' @param py_message Character. `str()` of the exception, used verbatim.
#' @param traceback Character. The formatted Python traceback.
#' @param call Environment. The call the error is reported for.
#' @noRd
abort_python_error <- function(type, mro, py_message, traceback, call) {
  lines <- strsplit(py_message, "\n", fixed = TRUE)[[1]]
  if (length(lines) == 0L) lines <- type
  message <- cli_escape(lines)
  names(message) <- c("", rep(" ", length(lines) - 1L))
  if (length(mro)) {
    class <- stats::na.omit(py_error_suffix(mro))
  } else {
    message[[1]] <- paste0(cli_escape(type), ": ", message[[1]])
    message <- c(message, i = "Run {.code reticulate::py_last_error()} for the Python traceback.")
    class <- "python"
  }
  abort_niimasker(message, class = as.character(class), py_type = type,
                  py_traceback = traceback, call = call, parent = NA)
}

#' Turn a Python warning or error class name into the suffix of its R class
#'
#' `"EmptyRegionWarning"` becomes `"empty_region"`; the base classes have no
#' suffix of their own.
#' @noRd
py_class_suffix <- function(type) {
  stem <- sub("(Error|Warning)$", "", type)
  snake <- tolower(gsub("([a-z0-9])([A-Z])", "\\1_\\2", stem))
  snake[type %in% c("NiimaskerError", "NiimaskerWarning")] <- NA_character_
  snake
}

#' The cli bullets of a message the core worded for R
#'
#' The first line is the header, later lines are continuation lines, and
#' the fix (if any) an `i` bullet.
#' @noRd
core_bullets <- function(problem, fix = NULL, rename = identity) {
  lines <- strsplit(rename(problem %||% ""), "\n", fixed = TRUE)[[1]]
  if (length(lines) == 0L) lines <- ""
  bullets <- stats::setNames(cli_escape(lines), c("", rep(" ", length(lines) - 1L)))
  if (!is.null(fix) && nzchar(fix)) {
    bullets <- c(bullets, i = cli_escape(rename(fix)))
  }
  bullets
}

#' Signal a warning the core gave as a classed R warning
#'
#' @param warning Named list: `r_bridge.describe()` of the warning.
#' @param rename Function applied to its texts.
#' @noRd
warn_core <- function(warning, rename = identity) {
  suffix <- stats::na.omit(py_class_suffix(as.character(unlist(warning$classes))))
  if (!length(warning$classes)) suffix <- "python"
  cli::cli_warn(
    core_bullets(warning$problem, warning$fix, rename),
    class = c(paste0("niimasker_warning_", suffix), "niimasker_warning"),
    py_type = warning$type, parameter = warning$parameter, file = warning$file,
    fix = warning$fix, parts = warning$parts
  )
}

#' Raise an error the core described (a niimasker error) as a classed R error
#'
#' @param error Named list: `r_bridge.describe()` of the exception, plus its
#'   `traceback`.
#' @noRd
abort_core <- function(error, rename = identity, call = rlang::caller_env()) {
  suffix <- stats::na.omit(py_class_suffix(as.character(unlist(error$classes))))
  abort_niimasker(
    core_bullets(error$problem, error$fix, rename),
    class = as.character(suffix), py_type = error$type, parameter = error$parameter,
    file = error$file, fix = error$fix, parts = error$parts,
    py_traceback = error$traceback, call = call, parent = NA
  )
}
