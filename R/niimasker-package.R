#' niimasker: fast, nilearn-exact ROI timeseries from fMRI images
#'
#' Extract region-of-interest and voxel timeseries from 4D fMRI NIfTI images,
#' cleaned as nilearn's maskers clean them, as tibbles. Start with
#' [install_niimasker()] once, then [extract_timeseries()].
#'
#' @keywords internal
#' @importFrom rlang %||%
#' @importFrom utils str
"_PACKAGE"

core <- NULL

.onLoad <- function(libname, pkgname) {
  # Choose the interpreter (RETICULATE_PYTHON, then the r-niimasker
  # virtualenv) without starting it; the core is delay-loaded, so Python is
  # not touched until a function needs it.
  configure_python()
  core <<- reticulate::import_from_path(
    "niimasker_core",
    path = system.file("python", package = pkgname),
    delay_load = TRUE,
    convert = FALSE
  )
}
