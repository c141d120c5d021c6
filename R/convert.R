# R <-> Python values. The only place where 0-based Python indices become
# 1-based R ones, and where the core's plain results become tibbles.

#' A character vector as a Python list (a length-1 vector would otherwise
#' become a Python scalar); `NULL` stays `NULL` (Python `None`). Names are
#' dropped: a named list would cross as a dict and the core would read the
#' names (`sapply()` names its result by its input) instead of the values.
#' @noRd
as_py_list <- function(x) {
  if (is.null(x)) NULL else as.list(unname(x))
}

#' Paths starting with `~` expanded to the home folder, as R's own file
#' functions do; other strings (and names) unchanged, non-character values
#' returned as they are.
#' @noRd
expand_tilde <- function(x) {
  if (!is.character(x)) {
    return(x)
  }
  home <- !is.na(x) & grepl("^~(/|$)", x)
  x[home] <- path.expand(x[home])
  x
}

#' Rebuild a float64 block sent by the core as a `bytearray`
#'
#' @param values Raw vector: float64, little-endian, column-major.
#' @param shape Integer vector `c(rows, columns)`.
#' @returns A numeric matrix of that shape.
#' @noRd
raw_to_matrix <- function(values, shape) {
  shape <- as.integer(unlist(shape))
  n <- shape[[1]] * shape[[2]]
  x <- readBin(values, what = "double", n = n, size = 8L, endian = "little")
  if (length(x) != n) {
    abort_niimasker("The core sent {length(x)} value{?s} for a {shape[1]} x {shape[2]} block.",
                    class = "python")
  }
  dim(x) <- shape
  x
}

#' Build the result tibble of extract_timeseries() from the core's result
#'
#' @param result Named list: the `result` of `r_bridge.extract_timeseries()`
#'   (`r_bridge.to_plain()` of the API's result), through `py_to_r()`.
#' @returns A tibble (`file`, BIDS entity columns, `volume`, one column per
#'   region) with the attribute `"niimasker"` that [timeseries_info()]
#'   returns.
#' @noRd
timeseries_tibble <- function(result) {
  sets <- unique(unlist(lapply(result$timeseries, function(item) item$atlas)))
  if (length(sets) == 0L) {
    return(one_set_tibble(result))
  }
  # Several ROI sets: one tibble per set, named by the set.
  out <- lapply(sets, function(set) {
    keep <- vapply(result$timeseries, function(item) identical(item$atlas, set), logical(1))
    one <- result
    one$timeseries <- result$timeseries[keep]
    one$parameters$roi <- result$parameters$roi[[set]]
    one_set_tibble(one)
  })
  stats::setNames(out, sets)
}

one_set_tibble <- function(result) {
  items <- result$timeseries
  files <- vapply(items, function(item) as.character(item$file), character(1))
  columns <- lapply(items, function(item) as.character(unlist(item$columns)))
  all_columns <- unique(unlist(columns))
  blocks <- lapply(seq_along(items), function(i) {
    block <- raw_to_matrix(items[[i]]$values, items[[i]]$shape)
    if (identical(columns[[i]], all_columns)) {
      return(block)
    }
    # Files whose columns differ are aligned by name; missing ones are NA.
    aligned <- matrix(NA_real_, nrow(block), length(all_columns))
    aligned[, match(columns[[i]], all_columns)] <- block
    aligned
  })
  values <- if (length(blocks) == 1L) blocks[[1]] else do.call(rbind, blocks)
  n_rows <- vapply(blocks, nrow, integer(1))
  volume <- unlist(lapply(items, function(item) as.integer(unlist(item$volumes)) + 1L))
  region_columns <- lapply(seq_along(all_columns), function(j) values[, j])
  region_names <- r_region_names(r_column_names(all_columns, result$parameters$parameters$as_voxels))
  entities <- entity_columns(items, n_rows, taken = c("file", "volume", region_names))
  out <- c(list(file = rep(files, n_rows)), entities, list(volume = as.integer(volume)),
           region_columns)
  names(out) <- c("file", names(entities), "volume", region_names)
  out <- tibble::new_tibble(out, nrow = sum(n_rows))
  attr(out, "niimasker") <- timeseries_metadata(result, files)
  out
}

timeseries_metadata <- function(result, files) {
  items <- result$timeseries
  empty <- lapply(items, function(item) as.character(unlist(item$sidecar$EmptyRegions)))
  failures <- result$failures
  structure(list(
    labels = labels_tibble(result$parameters$roi$regions),
    t_r = tibble::tibble(
      file = files,
      t_r = vapply(items, function(item) as.double(item$t_r %||% NA_real_), double(1))
    ),
    empty_regions = tibble::tibble(file = rep(files, lengths(empty)), region = unlist(empty) %||% character()),
    failures = tibble::tibble(
      file = vapply(failures, function(f) as.character(f$file), character(1)),
      error_type = vapply(failures, function(f) as.character(f$error_type), character(1)),
      message = vapply(failures, function(f) as.character(f$message), character(1))
    ),
    sidecars = stats::setNames(lapply(items, function(item) r_sidecar(item$sidecar)), files),
    output_files = stats::setNames(lapply(items, function(item) as.character(unlist(item$files))), files),
    connectivity = connectivity_tibble(items),
    parameters = result$parameters,
    output_dir = result$output_dir
  ), class = "niimasker_info")
}

#' Every connectivity matrix of a result as one long tibble
#'
#' One row per image, kind and pair of regions (the diagonal included):
#' `file`, the image's BIDS entities (as in the timeseries tibble), `kind`
#' (nilearn's name), `node_from`, `node_to` (region names, as the timeseries
#' columns) and `value` (double, `NaN` for regions left out and for a Fisher z
#' diagonal). Zero rows when no `connectivity` was asked.
#' @noRd
connectivity_tibble <- function(items) {
  blocks <- list()
  for (i in seq_along(items)) {
    for (matrix in items[[i]]$connectivity) {
      nodes <- r_region_names(as.character(unlist(matrix$nodes)))
      n <- length(nodes)
      values <- raw_to_matrix(matrix$values, c(n, n))
      blocks[[length(blocks) + 1L]] <- list(
        item = i, kind = as.character(matrix$kind),
        node_from = rep(nodes, times = n), node_to = rep(nodes, each = n),
        value = as.vector(values)
      )
    }
  }
  n_rows <- vapply(blocks, function(b) length(b$value), integer(1))
  owners <- items[vapply(blocks, function(b) b$item, integer(1))]
  files <- vapply(owners, function(item) as.character(item$file), character(1))
  entities <- entity_columns(owners, n_rows, taken = c("file", "kind", "node_from", "node_to", "value"))
  out <- c(
    list(file = rep(files, n_rows)), entities,
    list(
      kind = rep(vapply(blocks, function(b) b$kind, character(1)), n_rows),
      node_from = as.character(unlist(lapply(blocks, function(b) b$node_from))),
      node_to = as.character(unlist(lapply(blocks, function(b) b$node_to))),
      value = as.double(unlist(lapply(blocks, function(b) b$value)))
    )
  )
  tibble::new_tibble(out, nrow = sum(n_rows))
}

#' A labels tibble (`index`, `name`) from the core's list of regions
#' @noRd
labels_tibble <- function(regions) {
  index <- vapply(regions, function(r) as.integer(r$index %||% NA_integer_), integer(1))
  name <- vapply(regions, function(r) as.character(r$name %||% NA_character_), character(1))
  tibble::tibble(index = index, name = r_region_names(name))
}

#' The list nilearn_atlas() returns, from the core's result
#' @noRd
atlas_result <- function(result) {
  labels <- result$labels
  list(
    query = as.character(result$query),
    atlas = as.character(result$atlas),
    image = as.character(result$image),
    kind = as.character(result$kind),
    labels = tibble::tibble(
      index = as.integer(unlist(labels$index)),
      name = as.character(unlist(labels$name))
    )
  )
}

#' Confound tables given as data frames, written where the core can read them
#'
#' A data frame (one image) or a list of data frames (one per image, in the
#' order of the images) becomes TSV files named `confounds-001.tsv`, ... with
#' `n/a` for `NA` and 17 significant digits, so the values reach the core
#' unchanged. They go to `output_dir/niimasker_data/confounds/` when there is
#' an `output_dir` (the sidecars then name files that exist), otherwise to a
#' temporary folder the caller deletes.
#'
#' @param x `NULL`, a character vector of paths, a data frame or a list of
#'   data frames.
#' @param output_dir `NULL` or the output folder.
#' @returns A list: `paths` (character or `NULL`), `temporary` (a folder
#'   to delete afterwards, or `NULL`) and `rename` (a function naming these
#'   files in messages as the data frames they came from).
#' @noRd
confounds_as_files <- function(x, output_dir, input_files = NULL, arg = rlang::caller_arg(x),
                               call = rlang::caller_env()) {
  if (is.null(x) || is.character(x)) {
    return(list(paths = expand_tilde(check_strings(x, arg = arg, call = call)),
                temporary = NULL, rename = identity))
  }
  output_dir <- expand_tilde(output_dir)
  frames <- if (is.data.frame(x) || is.matrix(x)) list(x) else x
  if (is.list(frames)) {
    frames <- lapply(frames, function(f) if (is.matrix(f) && is.numeric(f)) as_confound_frame(f) else f)
  }
  if (!is.list(frames) || length(frames) == 0L ||
      !all(vapply(frames, is.data.frame, logical(1)))) {
    abort_niimasker(
      "{.arg {arg}} must be file paths, a data frame or numeric matrix, or a list of them, not {.obj_type_friendly {x}}.",
      class = "argument", call = call
    )
  }
  for (i in seq_along(frames)) {
    check_confound_frame(frames[[i]], i, arg = arg, call = call)
  }
  check_one_frame_per_image(frames, input_files, arg = arg, call = call)
  temporary <- if (is.null(output_dir)) tempfile("niimasker-confounds-") else NULL
  folder <- temporary %||% file.path(output_dir, "niimasker_data", "confounds")
  dir.create(folder, recursive = TRUE, showWarnings = FALSE)
  paths <- file.path(folder, sprintf("confounds-%03d.tsv", seq_along(frames)))
  for (i in seq_along(frames)) {
    cells <- lapply(frames[[i]], function(v) {
      ifelse(is.na(v), "n/a", sprintf("%.17g", as.double(v)))
    })
    lines <- c(paste(names(frames[[i]]), collapse = "\t"), do.call(paste, c(cells, sep = "\t")))
    writeLines(lines, paths[[i]])
  }
  list(paths = paths, temporary = temporary, rename = frame_namer(paths, arg))
}

#' A function naming the confound files R wrote as the data frames they hold
#'
#' Core messages name files; for these, "data frame 2 of `regressor_files`"
#' is what the user gave.
#' @noRd
frame_namer <- function(paths, arg) {
  force(paths)
  function(text) {
    for (i in rev(seq_along(paths))) {
      name <- sprintf("data frame %d of `%s`", i, arg)
      text <- gsub(paste0("'", paths[[i]], "'"), name, text, fixed = TRUE)
      text <- gsub(paths[[i]], name, text, fixed = TRUE)
    }
    text
  }
}

#' BIDS entities of each image as character columns, one value per row
#'
#' `sub` (and after it `participant_id`, `"sub-<label>"` as BIDS tables write
#' it), `ses`, `task`, `run` first (those present), then the other entities in
#' the order the names give them; `NA` where an image lacks one.
#' Entities whose name is already a column are left out.
#' @noRd
entity_columns <- function(items, n_rows, taken = character()) {
  entities <- lapply(items, function(item) item$entities %||% list())
  keys <- unique(unlist(lapply(entities, names)))
  keys <- c(intersect(c("sub", "ses", "task", "run"), keys),
            setdiff(keys, c("sub", "ses", "task", "run")))
  keys <- setdiff(keys, taken)
  columns <- lapply(keys, function(key) {
    values <- vapply(entities, function(e) as.character(e[[key]] %||% NA_character_), character(1))
    rep(values, n_rows)
  })
  columns <- stats::setNames(columns, keys)
  if ("sub" %in% keys && !"participant_id" %in% taken) {
    # participants.tsv's key, so that a join with it is one line
    sub <- columns$sub
    at <- match("sub", keys)
    columns <- append(columns, list(participant_id = ifelse(is.na(sub), NA_character_, paste0("sub-", sub))),
                      after = at)
  }
  columns
}

#' R names for region columns: a bare number (`1`, a label value) becomes
#' `region_1`, so that it needs no backticks
#' @noRd
r_region_names <- function(names) {
  number <- !is.na(names) & grepl("^[0-9]+$", names)
  names[number] <- paste0("region_", names[number])
  names
}

#' Voxel column names with 1-based voxel indices
#'
#' The core names voxel columns `<region>_<i>_<j>_<k>` with 0-based indices.
#' @noRd
r_column_names <- function(columns, as_voxels) {
  if (!isTRUE(as_voxels)) {
    return(columns)
  }
  pattern <- "^(.*)_([0-9]+)_([0-9]+)_([0-9]+)$"
  voxel <- grepl(pattern, columns)
  parts <- regmatches(columns[voxel], regexec(pattern, columns[voxel]))
  columns[voxel] <- vapply(parts, function(p) {
    ijk <- as.integer(p[3:5]) + 1L
    paste(c(p[[2]], ijk), collapse = "_")
  }, character(1))
  columns
}

#' A sidecar with 1-based volume indices and vectors instead of lists
#' @noRd
r_sidecar <- function(sidecar) {
  for (key in c("OutputVolumes", "CensoredVolumes", "InterpolatedVolumes")) {
    if (key %in% names(sidecar)) {
      sidecar[[key]] <- as.integer(unlist(sidecar[[key]])) + 1L
      if (!length(sidecar[[key]])) sidecar[[key]] <- integer(0)
    }
  }
  for (key in c("EmptyRegions", "Columns", "ConfoundColumns", "Sources")) {
    if (key %in% names(sidecar)) {
      sidecar[[key]] <- as.character(unlist(sidecar[[key]]))
    }
  }
  sidecar
}

#' A numeric confounds matrix as a data frame, its columns named `V1`, ...
#' when it has no column names
#' @noRd
as_confound_frame <- function(x) {
  if (is.null(colnames(x))) colnames(x) <- paste0("V", seq_len(ncol(x)))
  as.data.frame(x)
}

#' Refuse a confounds data frame with no columns or non-numeric ones, saying
#' why (e.g. fMRIPrep's `n/a` read as text)
#' @noRd
check_confound_frame <- function(frame, i, arg, call) {
  if (ncol(frame) == 0L) {
    abort_niimasker(
      c("Confounds given in {.arg {arg}} must have at least one column.",
        x = "Data frame {i} has no columns.",
        i = "Give the confound columns, or leave {.arg {arg}} out for no confounds."),
      class = "argument", call = call
    )
  }
  numeric <- vapply(frame, function(v) is.numeric(v) || is.logical(v), logical(1))
  if (all(numeric)) {
    return(invisible(frame))
  }
  bad <- names(frame)[!numeric]
  has_na_text <- any(vapply(frame[!numeric], function(v) any(v %in% c("n/a", "NA", "")), logical(1)))
  abort_niimasker(
    c("Confounds given in {.arg {arg}} must be numeric columns.",
      x = "Data frame {i} has non-numeric column{?s} {.val {bad}}.",
      if (has_na_text) c(i = "fMRIPrep writes missing values as {.val n/a}: read the table with {.code read.delim(file, na.strings = \"n/a\")}, or give the file's path instead.")
      else c(i = "Keep only the confound columns, or choose them with {.arg regressors}.")),
    class = "argument", call = call
  )
}

#' Refuse data frames that cannot be one per image
#'
#' The core pairs confound files with images by BIDS name or by order; the
#' files R writes for data frames have no BIDS names, so a count that differs
#' from the images' would get advice about file names. Checked only when
#' `input_files` lists volume files (no pattern, no surface pair).
#' @noRd
check_one_frame_per_image <- function(frames, input_files, arg, call) {
  files <- unique(as.character(input_files))
  volumes <- length(files) > 0L && !any(grepl("[*?[]", files)) &&
    all(grepl("[.]nii([.]gz)?$", files, ignore.case = TRUE)) &&
    !any(grepl("[.](dtseries|dscalar|ptseries)[.]nii$", files, ignore.case = TRUE))
  if (!volumes || length(frames) == length(files)) {
    return(invisible())
  }
  abort_niimasker(
    c("{.arg {arg}} has {length(frames)} data frame{?s} for {length(files)} image{?s} in {.arg input_files}.",
      i = "Give one data frame per image, as a list in the images' order (e.g. {.code list(confounds_01, confounds_02)})."),
    class = "argument", call = call
  )
}
