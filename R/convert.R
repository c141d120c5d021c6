# R <-> Python values. The only place where 0-based Python indices become
# 1-based R ones, and where the core's plain results become tibbles.

#' A character vector as a Python list (a length-1 vector would otherwise
#' become a Python scalar); `NULL` stays `NULL` (Python `None`).
#' @noRd
as_py_list <- function(x) {
  if (is.null(x)) NULL else as.list(x)
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
#' @param result Named list: `py_to_r()` of `api.extract_timeseries()`.
#' @returns A tibble (`file`, `volume`, one column per region) with the
#'   attribute `"niimasker"` that [timeseries_info()] returns.
#' @noRd
timeseries_tibble <- function(result) {
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
  out <- c(list(file = rep(files, n_rows), volume = as.integer(volume)), region_columns)
  names(out) <- c("file", "volume", all_columns)
  out <- tibble::new_tibble(out, nrow = sum(n_rows))
  attr(out, "niimasker") <- timeseries_metadata(result, files)
  out
}

timeseries_metadata <- function(result, files) {
  items <- result$timeseries
  empty <- lapply(items, function(item) as.character(unlist(item$sidecar$EmptyRegions)))
  failures <- result$failures
  list(
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
    sidecars = stats::setNames(lapply(items, function(item) item$sidecar), files),
    output_files = stats::setNames(lapply(items, function(item) as.character(unlist(item$files))), files),
    parameters = result$parameters,
    output_dir = result$output_dir
  )
}

#' A labels tibble (`index`, `name`) from the core's list of regions
#' @noRd
labels_tibble <- function(regions) {
  index <- vapply(regions, function(r) as.integer(r$index %||% NA_integer_), integer(1))
  name <- vapply(regions, function(r) as.character(r$name %||% NA_character_), character(1))
  tibble::tibble(index = index, name = name)
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
