#' Read timeseries written by the niimasker command back into a tibble
#'
#' Reads a folder written by the `niimasker` command or by
#' `extract_timeseries(output_dir = )` (on this machine or another) into the
#' tibble [extract_timeseries()] returns, with the same columns (`file`, BIDS
#' entities, `volume`, regions) and [timeseries_info()] metadata (from the
#' JSON sidecars and `niimasker_data/parameters.json`): every image's table
#' of every ROI set, in the flat layout or as a BIDS derivative dataset
#' (`output_layout = "bids"`). Values are read from the TSV files, which keep 9
#' significant digits. Voxel outputs written as images (`output_format`
#' `"nifti"` or `"npy"`) are not read back: a warning names each.
#'
#' @param output_dir Character. The folder.
#' @returns A tibble as described in [extract_timeseries()]. `file` is the
#'   input image as recorded in `parameters.json`; `failures` in
#'   [timeseries_info()] is empty (failed images have no table).
#' @family extraction
#' @export
#' @examplesIf niimasker_python_available()
#' bold <- system.file("extdata", "fmriprep", "sub-01", "func",
#'   "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz",
#'   package = "niimasker")
#' atlas <- system.file("extdata", "atlas-synthetic12_dseg.nii.gz", package = "niimasker")
#' out <- file.path(tempdir(), "niimasker-example")
#' ts <- extract_timeseries(bold, atlas, t_r = 2, output_dir = out, report = FALSE)
#' again <- read_timeseries(out)
#' timeseries_info(again)$t_r
read_timeseries <- function(output_dir) {
  check_string(output_dir, allow_null = FALSE)
  result <- call_core("read_timeseries", list(output_dir = path.expand(output_dir)))
  timeseries_tibble(result)
}
