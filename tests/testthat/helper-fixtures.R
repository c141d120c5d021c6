# Paths of the example data shipped in inst/extdata.
example_file <- function(...) {
  path <- system.file("extdata", ..., package = "niimasker")
  if (!nzchar(path)) rlang::abort(paste("No example file", file.path(...)))
  path
}

example_bold <- function(sub = "01") {
  example_file("fmriprep", paste0("sub-", sub), "func",
               paste0("sub-", sub, "_task-rest_space-MNI305_desc-preproc_bold.nii.gz"))
}

example_confounds <- function(sub = "01") {
  example_file("fmriprep", paste0("sub-", sub), "func",
               paste0("sub-", sub, "_task-rest_desc-confounds_timeseries.tsv"))
}

example_atlas <- function() example_file("atlas-synthetic12_dseg.nii.gz")
example_labels <- function() example_file("atlas-synthetic12_dseg.tsv")

# A core-shaped result (what api.extract_timeseries returns, after py_to_r)
# built in R, for conversion tests that need no Python.
fake_item <- function(file, values, columns, volumes = seq_len(nrow(values)) - 1L,
                      t_r = 2, empty = character()) {
  list(
    file = file, stem = basename(file), columns = columns,
    values = writeBin(as.double(values), raw(), size = 8L, endian = "little"),
    shape = dim(values), volumes = volumes, t_r = t_r,
    sidecar = list(EmptyRegions = as.list(empty)), files = list()
  )
}

# The region (or voxel) columns of a result: those after `volume`.
regions <- function(ts) {
  ts[seq(match("volume", names(ts)) + 1L, length.out = ncol(ts) - match("volume", names(ts)))]
}

# `path` written with a leading `~`: up from the home folder to the root, then
# down to `path`. Tests read and write through `~` without touching the home
# folder itself.
tilde_path <- function(path) {
  home <- normalizePath(path.expand("~"), mustWork = FALSE)
  depth <- length(strsplit(sub("^/", "", home), "/", fixed = TRUE)[[1]])
  paste0("~/", strrep("../", depth), sub("^/", "", normalizePath(path, mustWork = FALSE)))
}
