#' Fetch a nilearn atlas and its labels
#'
#' Resolves an atlas query such as `"nilearn:schaefer:400-17-2"` (the format
#' `roi_file` accepts) to the atlas image and its region labels, with
#' nilearn's fetchers. The network is needed only the first time an atlas is
#' downloaded; later calls read it from `data_dir`. Without a network, a
#' missing atlas raises an error of class `niimasker_error_atlas_fetch`.
#'
#' @param query Character. A query `"nilearn:<atlas>:<parameters>"` (the
#'   `nilearn:` prefix is optional), e.g. `"nilearn:yeo:thick_7"`,
#'   `"nilearn:basc:sym-20"`. `NULL`: built from `name` and `...`.
#' @param name Character. The atlas name (`"aal"`, `"basc"`, `"destrieux"`,
#'   `"schaefer"`, `"talairach"`, `"yeo"`, `"harvard_oxford"`, ...), used
#'   when `query` is `NULL`.
#' @param ... Unnamed strings or whole numbers: the atlas parameters in the
#'   query's order, joined by `-` (so `name = "schaefer", 400, 17, 2` means
#'   `"nilearn:schaefer:400-17-2"`). Only with `name`; there, an unnamed
#'   first value that R matches to `query` (as `400` here) is taken as the
#'   first parameter.
#' @param data_dir Character. Where nilearn stores and looks for atlases.
#'   `NULL`: nilearn's default (`~/nilearn_data` or `NILEARN_DATA`).
#'
#' @returns A list with:
#'   * `query` (character): the query, normalised.
#'   * `atlas` (character): the atlas name.
#'   * `image` (character): path of the atlas NIfTI image, usable as
#'     `roi_file` in [extract_timeseries()].
#'   * `kind` (character): `"labels"` (one integer label per region) or
#'     `"maps"` (a 4D probabilistic atlas).
#'   * `labels`: tibble with `index` (integer) and `name` (character), usable
#'     as `labels` in [extract_timeseries()].
#' @family extraction
#' @export
#' @examples
#' \dontrun{
#' # Downloads the atlas the first time (needs the internet).
#' yeo <- nilearn_atlas("nilearn:yeo:thick_7")
#' yeo$labels
#' schaefer <- nilearn_atlas(name = "schaefer", 100, 7, 2)
#' schaefer$image
#' }
nilearn_atlas <- function(query = NULL, name = NULL, ..., data_dir = NULL) {
  query <- atlas_query(query, name, ...)
  data_dir <- expand_tilde(check_string(data_dir))
  result <- call_core("nilearn_atlas", list(query = query, data_dir = data_dir))
  atlas_result(result)
}

# The query string from either `query` or `name` plus parameters.
atlas_query <- function(query, name, ..., call = rlang::caller_env()) {
  params <- list(...)
  if (!is.null(name) && !is.null(query) && !is_query_string(query)) {
    # nilearn_atlas(name = "schaefer", 400, 17, 2): R matches the first
    # unnamed value to `query`; it is the first atlas parameter.
    params <- c(list(query), params)
    query <- NULL
  }
  if (!is.null(query)) {
    check_string(query, allow_null = FALSE, call = call)
    if (!is.null(name) || length(params)) {
      abort_niimasker(
        c("Give either {.arg query} or {.arg name} with its parameters, not both.",
          i = "{.arg query} is {.val {query}}."),
        class = "argument", call = call
      )
    }
    return(query)
  }
  if (is.null(name)) {
    abort_niimasker("{.arg query} or {.arg name} must be given.", class = "argument", call = call)
  }
  check_string(name, allow_null = FALSE, call = call)
  if (!is.null(names(params)) && any(nzchar(names(params)))) {
    abort_niimasker(
      c("The atlas parameters in {.arg ...} must be unnamed.",
        x = "Named: {.arg {names(params)[nzchar(names(params))]}}.",
        i = "Give them in the query's order, e.g. {.code nilearn_atlas(name = \"schaefer\", 400, 17, 2)}."),
      class = "argument", call = call
    )
  }
  values <- vapply(seq_along(params), function(i) atlas_parameter(params[[i]], i, call), character(1))
  paste0("nilearn:", paste(c(name, if (length(values)) paste(values, collapse = "-")), collapse = ":"))
}

is_query_string <- function(x) {
  is.character(x) && length(x) == 1L && !is.na(x) && grepl(":", x, fixed = TRUE)
}

atlas_parameter <- function(x, i, call) {
  if (is.numeric(x) && length(x) == 1L && !is.na(x) && x == trunc(x)) {
    return(format(x, scientific = FALSE, trim = TRUE))
  }
  if (is.character(x) && length(x) == 1L && !is.na(x) && nzchar(x)) {
    return(x)
  }
  abort_niimasker(
    "Atlas parameter {i} in {.arg ...} must be a single string or whole number, not {.obj_type_friendly {x}}.",
    class = "argument", call = call
  )
}
