#' Extract the timeseries of every voxel in a mask, or every grayordinate
#'
#' The voxel counterpart of [extract_timeseries()]: no `roi_file`; every voxel
#' of `mask_img` is extracted, or of a mask computed from the first image with
#' nilearn's `mask_strategy` (+ `mask_args`). The core's `NiftiMasker` does the
#' work (same numbers as nilearn's `NiftiMasker`, see the guide's "Voxels" page), and the
#' signals cross from Python as bytes. On surface runs (a CIFTI `.dtseries.nii`,
#' a GIFTI `.func.gii` pair) every grayordinate is extracted instead: the
#' CIFTI file's cortical vertices and subcortical voxels in its order, or
#' every vertex of each hemisphere (mask options do not apply there).
#'
#' @inheritParams extract_timeseries
#' @param mask_img Character. A binary mask; `NULL` computes one with
#'   `mask_strategy`.
#' @returns An object of class `niimasker_voxels`: a list with `signals` (one
#'   numeric matrix, volumes x voxels, per image, named by file), `mask` (a
#'   3D logical array; `NULL` for surface runs), `affine` (4 x 4; for
#'   surface runs the subcortical voxels', or `NULL`), `voxels` (a tibble, one
#'   row per column of the signals, in column order), `volumes` (1-based image
#'   volume of each row, per image), `files` and `template` (the first input
#'   file of a surface run, for [voxels_to_cifti()]; `NULL` for volumes).
#'   For volumes `voxels` has `i`, `j`, `k` (integer, 1-based) and `x`, `y`,
#'   `z` (double, mm). For surface runs it has `structure` (character:
#'   `CORTEX_LEFT`, `CORTEX_RIGHT`, `THALAMUS_LEFT`...), `vertex` (integer,
#'   1-based vertex number on the structure's mesh; `NA` for voxels), `i`,
#'   `j`, `k` (integer, 1-based; `NA` for vertices) and `x`, `y`, `z` (double,
#'   mm; `NA` for vertices).
#' @seealso [voxels_to_nifti()] and [voxels_to_cifti()] to write values back.
#' @export
#' @examples
#' if (niimasker_python_available()) {
#'   func <- system.file("extdata", "fmriprep", "sub-01", "func", package = "niimasker")
#'   bold <- file.path(func, "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz")
#'   mask <- file.path(func, "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
#'   vox <- extract_voxels(bold, mask_img = mask, detrend = TRUE, t_r = 2)
#'   dim(vox$signals[[1]])
#' }
extract_voxels <- function(input_files = NULL, output_dir = NULL, mask_img = NULL,
                           mask_strategy = "background", mask_args = NULL,
                           target_affine = NULL, target_shape = NULL,
                           regressor_files = NULL, regressors = NULL, runs = NULL,
                           standardize = FALSE, standardize_confounds = TRUE,
                           detrend = FALSE, high_variance_confounds = FALSE,
                           low_pass = NULL, high_pass = NULL, t_r = NULL,
                           smoothing_fwhm = NULL, discard_scans = 0L, dtype = NULL,
                           output_format = NULL, n_jobs = 1L, max_memory = NULL,
                           config = NULL, ...) {
  check_no_dots(match.call(expand.dots = FALSE)$..., extract_voxels)
  given <- setdiff(names(formals(extract_voxels)), "...")
  args <- check_parameters(mget(given), parameter_checks[given])
  # Only the arguments the caller gave reach the core (see extract_timeseries()).
  args <- args[names(args) %in% names(match.call())[-1]]
  confounds <- confounds_as_files(regressor_files, output_dir, input_files)
  if (!is.null(confounds$temporary)) {
    on.exit(unlink(confounds$temporary, recursive = TRUE), add = TRUE)
  }
  args$regressor_files <- as_py_list(confounds$paths)
  result <- call_core("extract_timeseries", list(kwargs = args, say = verbose_callback()),
                      rename = confounds$rename)
  warn_failed_files(result$failures, rename = confounds$rename)
  voxels_result(result)
}

#' Write voxel values back to a NIfTI image in the mask's space
#'
#' @param x A numeric vector with one value per voxel (a 3D map, e.g. decoder
#'   weights or a t-map computed in R), or a volumes x voxels matrix (a 4D
#'   image), in the column order of [extract_voxels()].
#' @param mask A `niimasker_voxels` object (its mask and affine are used).
#' @param file The `.nii` or `.nii.gz` file to write.
#' @returns `file`, invisibly.
#' @export
#' @examples
#' if (niimasker_python_available()) {
#'   func <- system.file("extdata", "fmriprep", "sub-01", "func", package = "niimasker")
#'   bold <- file.path(func, "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz")
#'   mask <- file.path(func, "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
#'   vox <- extract_voxels(bold, mask_img = mask)
#'   sd_map <- apply(vox$signals[[1]], 2, stats::sd)
#'   voxels_to_nifti(sd_map, vox, tempfile(fileext = ".nii.gz"))
#' }
voxels_to_nifti <- function(x, mask, file) {
  if (!inherits(mask, "niimasker_voxels")) {
    abort_niimasker("{.arg mask} must be a result of {.fn extract_voxels}.", class = "argument")
  }
  if (is.null(mask$mask)) {
    abort_niimasker(c("{.arg mask} must be a result of {.fn extract_voxels} on volumes.",
                      i = "Write the grayordinates of a surface run with {.fn voxels_to_cifti}."),
                    class = "argument")
  }
  file <- expand_tilde(check_string(file, allow_null = FALSE))
  if (!is.numeric(x)) {
    abort_niimasker("{.arg x} must be a numeric vector or matrix, not {.obj_type_friendly {x}}.",
                    class = "argument")
  }
  shape <- if (is.matrix(x)) dim(x) else length(x)
  mask_bytes <- writeBin(as.integer(as.vector(mask$mask)), raw(), size = 1L)
  result <- call_core("voxels_to_nifti", list(
    values = writeBin(as.double(as.vector(x)), raw(), size = 8L, endian = "little"),
    shape = as.list(as.integer(shape)),
    mask_values = mask_bytes,
    mask_shape = as.list(dim(mask$mask)),
    affine = lapply(seq_len(4L), function(r) as.numeric(mask$affine[r, ])),
    file = file
  ))
  invisible(as.character(result))
}

#' Write grayordinate values back to a CIFTI file
#'
#' Writes values with one entry per grayordinate (in the column order of
#' [extract_voxels()] on a surface run) as a CIFTI-2 file on a template's brain
#' models: a `.dscalar.nii` (maps, e.g. a t-map computed in R) or a
#' `.dtseries.nii` (a timeseries), as Connectome Workbench reads them.
#'
#' @param x A numeric vector (one value per grayordinate: one map, or one
#'   volume) or matrix: grayordinates x maps for a `.dscalar.nii` (one column
#'   per map, named by its column names), volumes x grayordinates for a
#'   `.dtseries.nii`.
#' @param template A `niimasker_voxels` object from [extract_voxels()] on a
#'   surface run, or the path of a dense CIFTI file (`.dtseries.nii`,
#'   `.dscalar.nii`, `.dlabel.nii`) or GIFTI run (`.func.gii`, with its other
#'   hemisphere beside it) whose grayordinates `x` follows.
#' @param file Character. The `.dscalar.nii` or `.dtseries.nii` file to write.
#' @param t_r Numeric. The repetition time of a `.dtseries.nii` in seconds;
#'   `NULL` takes the template's (1 when it has none).
#' @returns `file`, invisibly.
#' @seealso [voxels_to_nifti()] for volumes.
#' @export
#' @examples
#' if (niimasker_python_available()) {
#'   func <- system.file("extdata", "fmriprep", "sub-01", "func", package = "niimasker")
#'   run <- file.path(func, "sub-01_task-rest_space-fsLR_den-toy_bold.dtseries.nii")
#'   vox <- extract_voxels(run, detrend = TRUE)
#'   sd_map <- apply(vox$signals[[1]], 2, stats::sd)
#'   voxels_to_cifti(sd_map, vox, tempfile(fileext = ".dscalar.nii"))
#' }
voxels_to_cifti <- function(x, template, file, t_r = NULL) {
  if (inherits(template, "niimasker_voxels")) {
    if (is.null(template$template)) {
      abort_niimasker(c("{.arg template} must be a result of {.fn extract_voxels} on a surface run.",
                        i = "Write the voxels of a volume run with {.fn voxels_to_nifti}."),
                      class = "argument")
    }
    template <- template$template
  }
  template <- expand_tilde(check_string(template, allow_null = FALSE))
  file <- expand_tilde(check_string(file, allow_null = FALSE))
  t_r <- check_number(t_r)
  if (!is.numeric(x)) {
    abort_niimasker("{.arg x} must be a numeric vector or matrix, not {.obj_type_friendly {x}}.",
                    class = "argument")
  }
  shape <- if (is.matrix(x)) dim(x) else length(x)
  result <- call_core("voxels_to_cifti", list(
    values = writeBin(as.double(as.vector(x)), raw(), size = 8L, endian = "little"),
    shape = as.list(as.integer(shape)),
    template = template,
    file = file,
    t_r = t_r,
    map_names = if (is.matrix(x) && !is.null(colnames(x))) as.list(colnames(x))
  ))
  invisible(as.character(result))
}

#' @export
print.niimasker_voxels <- function(x, ...) {
  what <- if (is.null(x$mask)) "grayordinate" else "voxel"
  cat(sprintf("<niimasker_voxels> %d %s%s, %d image%s\n", nrow(x$voxels), what,
              if (nrow(x$voxels) == 1L) "" else "s", length(x$signals),
              if (length(x$signals) == 1L) "" else "s"))
  for (name in names(x$signals)) {
    cat(sprintf("  %s: %d volumes\n", basename(name), nrow(x$signals[[name]])))
  }
  invisible(x)
}

# The core's voxel result as a niimasker_voxels object.
voxels_result <- function(result) {
  items <- result$timeseries
  files <- vapply(items, function(item) as.character(item$file), character(1))
  signals <- lapply(items, function(item) raw_to_matrix(item$values, item$shape))
  names(signals) <- files
  volumes <- lapply(items, function(item) as.integer(unlist(item$volumes)) + 1L)
  names(volumes) <- files
  written <- lapply(items, function(item) unlist(item$files))
  if (!is.null(result$grayordinates)) {
    g <- result$grayordinates
    affine <- if (!is.null(g$affine)) matrix(unlist(g$affine), 4L, 4L, byrow = TRUE)
    return(structure(
      list(signals = signals, mask = NULL, affine = affine,
           voxels = grayordinate_coordinates(g, affine), volumes = volumes,
           files = written, template = files[[1]]),
      class = "niimasker_voxels"
    ))
  }
  shape <- as.integer(unlist(result$mask$shape))
  mask <- readBin(result$mask$values, what = "integer", n = prod(shape), size = 1L,
                  signed = FALSE) == 1L
  dim(mask) <- shape
  affine <- matrix(unlist(result$mask$affine), 4L, 4L, byrow = TRUE)
  structure(
    list(signals = signals, mask = mask, affine = affine, voxels = voxel_coordinates(mask, affine),
         volumes = volumes, files = written, template = NULL),
    class = "niimasker_voxels"
  )
}

# Voxels in the core's column order (C order of the mask: the last index
# varies fastest), 1-based indices and mm coordinates.
voxel_coordinates <- function(mask, affine) {
  ijk <- which(mask, arr.ind = TRUE)
  ijk <- ijk[order(ijk[, 1], ijk[, 2], ijk[, 3]), , drop = FALSE]
  xyz <- cbind(ijk - 1L, 1) %*% t(affine)
  tibble::tibble(i = as.integer(ijk[, 1]), j = as.integer(ijk[, 2]), k = as.integer(ijk[, 3]),
                 x = xyz[, 1], y = xyz[, 2], z = xyz[, 3])
}

# Grayordinates in the core's column order: each one's structure, its vertex
# or its voxel (1-based) and the voxel's mm coordinates.
grayordinate_coordinates <- function(g, affine) {
  counts <- as.integer(unlist(g$counts))
  n <- sum(counts)
  vertex <- readBin(g$vertex, what = "integer", n = n, size = 4L, endian = "little")
  ijk <- readBin(g$voxel, what = "integer", n = 3L * n, size = 4L, endian = "little")
  dim(ijk) <- c(n, 3L)
  on_surface <- vertex >= 0L
  ijk[on_surface, ] <- NA_integer_
  xyz <- matrix(NA_real_, n, 3L)
  if (!is.null(affine) && any(!on_surface)) {
    xyz[!on_surface, ] <- (cbind(ijk[!on_surface, , drop = FALSE], 1) %*% t(affine))[, 1:3]
  }
  tibble::tibble(structure = rep(as.character(unlist(g$structures)), counts),
                 vertex = ifelse(on_surface, vertex + 1L, NA_integer_),
                 i = ijk[, 1] + 1L, j = ijk[, 2] + 1L, k = ijk[, 3] + 1L,
                 x = xyz[, 1], y = xyz[, 2], z = xyz[, 3])
}

# A voxel size stays a number; an affine matrix crosses as a list of rows.
as_target_affine <- function(x) {
  if (is.matrix(x)) {
    return(lapply(seq_len(nrow(x)), function(r) as.numeric(x[r, ])))
  }
  check_number(x)
}
