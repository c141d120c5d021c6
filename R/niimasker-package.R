#' niimasker: fast, nilearn-exact ROI timeseries from fMRI images
#'
#' Extract region-of-interest and voxel timeseries from 4D fMRI NIfTI images,
#' cleaned as nilearn's maskers clean them, as tibbles. Start with
#' [install_niimasker()] once, then [extract_timeseries()].
#'
#' @keywords internal
"_PACKAGE"

core <- NULL

.onLoad <- function(libname, pkgname) {
  # Delay-loaded: Python is not touched until a function needs the core.
  core <<- reticulate::import_from_path(
    "niimasker_core",
    path = system.file("python", package = pkgname),
    delay_load = TRUE,
    convert = FALSE
  )
}
