# Argument checkers. They check only what reticulate would mangle silently
# (scalar vs vector, whole numbers, NA, flags, data frames where a path is
# expected); the Python core checks what values mean. Each returns its
# (possibly converted) value invisibly, and `NULL` stays `NULL` where allowed.

check_flag <- function(x, allow_null = FALSE, arg = rlang::caller_arg(x),
                       call = rlang::caller_env()) {
  if (is.null(x) && allow_null) {
    return(invisible(x))
  }
  if (is.logical(x) && length(x) == 1L && !is.na(x)) {
    return(invisible(x))
  }
  abort_niimasker(
    "{.arg {arg}} must be `TRUE` or `FALSE`{if (allow_null) ' or `NULL`'}, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

check_string <- function(x, allow_null = TRUE, arg = rlang::caller_arg(x),
                         call = rlang::caller_env()) {
  if (is.null(x) && allow_null) {
    return(invisible(x))
  }
  if (is.character(x) && length(x) == 1L && !is.na(x) && nzchar(x)) {
    return(invisible(x))
  }
  abort_niimasker(
    "{.arg {arg}} must be a single non-empty string{if (allow_null) ' or `NULL`'}, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

check_strings <- function(x, allow_null = TRUE, arg = rlang::caller_arg(x),
                          call = rlang::caller_env()) {
  if (is.null(x) && allow_null) {
    return(invisible(x))
  }
  if (!is.character(x) || length(x) == 0L || is.data.frame(x)) {
    abort_niimasker(
      "{.arg {arg}} must be a character vector{if (allow_null) ' or `NULL`'}, not {.obj_type_friendly {x}}.",
      class = "argument", call = call
    )
  }
  bad <- which(is.na(x) | !nzchar(x))
  if (length(bad)) {
    abort_niimasker(
      c("{.arg {arg}} must not contain `NA` or empty strings.",
        x = "Element{?s} {as.character(head(bad, 5))} {?is/are} `NA` or empty."),
      class = "argument", call = call
    )
  }
  invisible(x)
}

check_number <- function(x, allow_null = TRUE, arg = rlang::caller_arg(x),
                         call = rlang::caller_env()) {
  if (is.null(x) && allow_null) {
    return(invisible(x))
  }
  if (is.numeric(x) && length(x) == 1L && !is.na(x)) {
    return(invisible(as.double(x)))
  }
  abort_niimasker(
    "{.arg {arg}} must be a single number{if (allow_null) ' or `NULL`'}, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

check_whole_number <- function(x, allow_null = FALSE, arg = rlang::caller_arg(x),
                               call = rlang::caller_env()) {
  if (is.null(x) && allow_null) {
    return(invisible(x))
  }
  if (is_whole_number(x)) {
    return(invisible(as.integer(x)))
  }
  abort_niimasker(
    "{.arg {arg}} must be a single whole number{if (allow_null) ' or `NULL`'}, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

# `n_compcor`, `discard_scans`: a count or a keyword such as "all" or "auto".
check_whole_number_or_string <- function(x, arg = rlang::caller_arg(x),
                                         call = rlang::caller_env()) {
  if (is.null(x) || (is.character(x) && length(x) == 1L && !is.na(x))) {
    return(invisible(x))
  }
  if (is_whole_number(x)) {
    return(invisible(as.integer(x)))
  }
  abort_niimasker(
    "{.arg {arg}} must be a single whole number, a single string or `NULL`, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

# A size such as `"8GB"`, or a number of bytes (a double: sizes pass 2^31).
check_size <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.null(x) || (is.character(x) && length(x) == 1L && !is.na(x))) {
    return(invisible(x))
  }
  if (is.numeric(x) && length(x) == 1L && !is.na(x)) {
    return(invisible(as.double(x)))
  }
  abort_niimasker(
    "{.arg {arg}} must be a single string such as \"8GB\", a number of bytes or `NULL`, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

# Python ints of 2^31 or more do not survive reticulate 1.28, so whole
# numbers must fit an R integer.
is_whole_number <- function(x) {
  is.numeric(x) && length(x) == 1L && !is.na(x) && x == trunc(x) &&
    abs(x) < .Machine$integer.max
}

# `standardize` is a flag or the name of a method.
check_flag_or_string <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if ((is.logical(x) || is.character(x)) && length(x) == 1L && !is.na(x)) {
    return(invisible(x))
  }
  abort_niimasker(
    "{.arg {arg}} must be `TRUE`, `FALSE` or a single string, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

# `labels`: region names, a labels file, or a data frame with a `name`
# column (as nilearn_atlas() returns), ordered by its `index` column if any.
check_labels <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.data.frame(x)) {
    if (!"name" %in% names(x)) {
      abort_niimasker(
        c("{.arg {arg}} must have a {.field name} column when it is a data frame.",
          x = "Its columns are {.field {names(x)}}."),
        class = "argument", call = call
      )
    }
    if ("index" %in% names(x)) x <- x[order(x[["index"]]), , drop = FALSE]
    x <- as.character(x[["name"]])
  }
  expand_tilde(check_strings(x, arg = arg, call = call))
}

# `labels` as extract_timeseries() takes it: one set's names (see
# check_labels()), or one value per ROI set, keyed by set name: a named list
# (each element names, a labels file or a data frame) or a named character
# vector of labels files. Per set, it goes to the core as a dict.
check_labels_arg <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.null(x)) {
    return(invisible(x))
  }
  if (is.character(x) && !is.null(names(x))) {
    tables <- grepl("[.](tsv|csv|txt)$", x, ignore.case = TRUE)
    if (!all(tables)) {
      abort_niimasker(
        c("{.arg {arg}} must be unnamed region names, or named labels files, one per ROI set.",
          x = "It is a named character vector, but {.val {head(x[!tables], 3)}} {?is/are} not {?a/} labels file{?s}.",
          i = "Use {.code unname()} for one set's region names, or a named list such as {.code list(atlas = c(\"a\", \"b\"))} for each set's names."),
        class = "argument", call = call
      )
    }
    x <- as.list(x)
  }
  if (!is.list(x) || is.data.frame(x)) {
    return(invisible(as_py_list(check_labels(x, arg = arg, call = call))))
  }
  check_set_names(x, arg = arg, call = call)
  out <- lapply(names(x), function(set) {
    as_py_list(check_labels(x[[set]], arg = paste0(arg, "$", set), call = call))
  })
  invisible(stats::setNames(out, names(x)))
}

# `mask_img`: one mask for every ROI set, or one per set: a named character
# vector or a named list of strings (set name -> path), sent as a dict.
check_mask_img <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.null(x) || (!is.list(x) && is.null(names(x)))) {
    return(expand_tilde(check_string(x, arg = arg, call = call)))
  }
  if (is.character(x)) {
    x <- as.list(x)
  }
  if (!is.list(x) || is.data.frame(x)) {
    check_string(x, arg = arg, call = call)
  }
  check_set_names(x, arg = arg, call = call)
  for (set in names(x)) {
    x[[set]] <- expand_tilde(check_string(x[[set]], arg = paste0(arg, "$", set), call = call))
  }
  invisible(x)
}

# Values per ROI set: every element named, each name once. Whether the names
# are ROI sets of `roi_file` is the core's check.
check_set_names <- function(x, arg, call) {
  keys <- names(x)
  if (length(x) == 0L || is.null(keys) || !all(nzchar(keys)) || anyDuplicated(keys)) {
    abort_niimasker(
      c("{.arg {arg}} must name each element by its ROI set, once, when it is given per set.",
        i = "For example {.code list(schaefer = \"gm_mask.nii.gz\")}; sets left out get none."),
      class = "argument", call = call
    )
  }
  invisible(x)
}

# The parameters that hold paths: a `~` in them is the home folder.
path_parameters <- c("input_files", "roi_file", "output_dir", "mask_img", "labels",
                     "regressor_files", "data_dir")

# `config`: a JSON file path or a named list of parameters.
check_config <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.null(x) || (is.character(x) && length(x) == 1L && !is.na(x))) {
    return(invisible(expand_tilde(x)))
  }
  if (is.list(x) && !is.data.frame(x)) {
    keys <- names(x)
    named <- length(x) == 0L || (!is.null(keys) && all(nzchar(keys)) && !anyDuplicated(keys))
    has_na <- vapply(x, function(v) is.atomic(v) && anyNA(v), logical(1))
    if (named && !any(has_na)) {
      paths <- names(x) %in% path_parameters
      x[paths] <- lapply(x[paths], expand_tilde)
      return(invisible(x))
    }
    if (named) {
      abort_niimasker(
        c("{.arg {arg}} must not contain `NA`: use `NULL` or leave the parameter out.",
          x = "{.field {names(x)[has_na]}} {?is/are} `NA`."),
        class = "argument", call = call
      )
    }
    abort_niimasker(
      "{.arg {arg}} must be a list whose elements all have distinct names.",
      class = "argument", call = call
    )
  }
  abort_niimasker(
    "{.arg {arg}} must be a JSON file path or a named list, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}

#' Run each checker on its argument
#'
#' @param values Named list of the arguments' values.
#' @param checks Named list: argument name -> checker.
#' @param call Environment. The user's call, for error messages.
#' @returns Named list of the checked (converted) values, `NULL`s kept.
#' @noRd
check_parameters <- function(values, checks, call = rlang::caller_env()) {
  out <- vector("list", length(checks))
  names(out) <- names(checks)
  for (name in names(checks)) {
    checked <- checks[[name]](values[[name]], arg = name, call = call)
    if (!is.null(checked)) out[[name]] <- checked
  }
  out
}

# `regressor_files`: paths, a data frame or a list of data frames; the type
# is checked here, the frames are written by confounds_as_files().
check_confounds_arg <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.null(x) || is.character(x)) {
    return(invisible(as_py_list(expand_tilde(check_strings(x, arg = arg, call = call)))))
  }
  frames <- if (is.data.frame(x) || is.matrix(x)) list(x) else x
  is_table <- function(f) is.data.frame(f) || (is.matrix(f) && is.numeric(f))
  if (!is.list(frames) || length(frames) == 0L || !all(vapply(frames, is_table, logical(1)))) {
    abort_niimasker(
      "{.arg {arg}} must be file paths, a data frame or numeric matrix, or a list of them, not {.obj_type_friendly {x}}.",
      class = "argument", call = call
    )
  }
  invisible(NULL)
}

# `roi_file`: one definition, or several ROI sets extracted from one read of
# each image (a character vector, named or not, or a named list of strings).
# Several go to the core as a list of "path" or "name=path" entries.
check_roi_files <- function(x, arg = rlang::caller_arg(x), call = rlang::caller_env()) {
  if (is.list(x) && !is.data.frame(x)) {
    ok <- all(vapply(x, function(v) is.character(v) && length(v) == 1L, logical(1)))
    if (!ok) {
      abort_niimasker("{.arg {arg}} must be a character vector or a list of strings.",
                      class = "argument", call = call)
    }
    x <- stats::setNames(unlist(x), names(x))
  }
  x <- expand_tilde(check_strings(x, arg = arg, call = call))
  if (length(x) <= 1L && is.null(names(x))) {
    return(x)
  }
  named <- !is.null(names(x)) & nzchar(names(x) %||% "")
  entries <- ifelse(named, paste0(names(x) %||% "", "=", x), x)
  as.list(unname(entries))
}

#' Refuse arguments a function does not have, naming the closest one
#'
#' Base R says "unused argument (detrnd = TRUE)"; the exported functions
#' take `...` only to say which argument was meant, as the config does for
#' its keys.
#' @param dots The unevaluated `...` of the call
#'   (`match.call(expand.dots = FALSE)$...`).
#' @param fn The function, for its argument names.
#' @noRd
check_no_dots <- function(dots, fn, call = rlang::caller_env()) {
  if (length(dots) == 0L) {
    return(invisible())
  }
  fn_name <- deparse(substitute(fn))
  known <- setdiff(names(formals(fn)), "...")
  given <- names(dots) %||% rep("", length(dots))
  unnamed <- sum(!nzchar(given))
  if (unnamed > 0L) {
    abort_niimasker(
      c("{.fn {fn_name}} got {unnamed} more unnamed argument{?s} than it has.",
        i = "Give the arguments after the first few by name, e.g. {.code t_r = 2}."),
      class = "argument", call = call
    )
  }
  closest <- vapply(given, function(name) {
    distance <- utils::adist(name, known, ignore.case = TRUE)[1, ]
    if (min(distance) <= max(2L, nchar(name) %/% 3L)) known[[which.min(distance)]] else NA_character_
  }, character(1))
  hints <- ifelse(is.na(closest), sprintf("`%s` is not an argument.", given),
                  sprintf("`%s` is not an argument: did you mean `%s`?", given, closest))
  abort_niimasker(
    c("{.fn {fn_name}} has no {cli::qty(length(given))}argument{?s} {.arg {given}}.",
      stats::setNames(cli_escape(hints), rep("x", length(hints))),
      i = "See {.code ?{fn_name}} for its arguments."),
    class = "argument", call = call
  )
}
