#' Extract cleaned region timeseries from 4D fMRI images
#'
#' Extracts one timeseries per region (or voxel) from each 4D NIfTI image,
#' cleaned with confounds, detrending, filtering and standardization exactly
#' as nilearn's maskers clean them. Parameters have the same names as the
#' `niimasker` command, its JSON config and the Python API; the Python core
#' checks their values, and `niimasker -h` lists their defaults and choices.
#'
#' @param input_files Character. 4D NIfTI images, or one wildcard pattern
#'   such as `"fmriprep/sub-*/func/*preproc_bold.nii.gz"`. Files are
#'   naturally sorted. `NULL`: taken from `config`.
#' @param roi_file Character. The regions: a labelled atlas (integer labels,
#'   0 = background), a binary mask of one region, a 4D probabilistic atlas,
#'   a `.tsv`/`.csv` of `x`, `y`, `z` coordinates for spheres, or a nilearn
#'   atlas query such as `"nilearn:schaefer:400-17-2"` (see
#'   [nilearn_atlas()]). `NULL`: taken from `config`.
#' @param output_dir Character. When given, also writes there the files the
#'   `niimasker` command writes (`<stem>_timeseries.tsv`, JSON sidecars,
#'   `niimasker_data/parameters.json`). `NULL`: nothing is written.
#' @param mask_img Character. A binary NIfTI mask restricting an atlas or
#'   spheres to the voxels inside it. `NULL`: no mask.
#' @param labels Character or data frame. Region names in ascending label
#'   order, a labels `.tsv` file, or a data frame with a `name` column (and
#'   optionally `index`), such as the `labels` of [nilearn_atlas()]. `NULL`:
#'   the numeric labels.
#' @param regressor_files Character or data frame. Confound tables, one per
#'   input image, or one wildcard pattern; fMRIPrep files are paired with
#'   images by their BIDS entities. A data frame (one image) or a list of data
#'   frames (one per image, in the images' order) gives the confounds directly:
#'   numeric columns, one row per volume, `NA` where fMRIPrep writes `n/a`;
#'   with `output_dir` they are also saved in
#'   `niimasker_data/confounds/confounds-001.tsv`, .... `NULL`: no confounds.
#' @param regressors Character. Confound column names (wildcards allowed), a
#'   preset such as `"Params6"`, or nilearn strategy components. `NULL`: every
#'   column of `regressor_files`.
#' @param as_voxels Logical. Extract every voxel instead of region summaries.
#' @param radius Number. Sphere radius in mm around coordinates. `NULL`: the
#'   single voxel at each coordinate.
#' @param allow_overlap Logical. Allow regions that share voxels (overlapping
#'   spheres or probabilistic maps). `NULL`: nilearn's default for the ROI
#'   kind (no for spheres, yes for maps).
#' @param strategy Character. How the voxels of a region are summarised
#'   (`"mean"`, `"median"`, ...).
#' @param data_dir Character. Where nilearn stores and looks for the atlas of
#'   a `"nilearn:..."` `roi_file` (downloaded there the first time). `NULL`:
#'   nilearn's default (`NILEARN_DATA`, else `~/nilearn_data`).
#' @param standardize Logical or character. `TRUE` (z-score), `FALSE`, or
#'   the name of a method (`"zscore"`, `"zscore_sample"`, `"psc"`).
#' @param standardize_confounds Logical. Z-score confounds before regressing
#'   them out.
#' @param t_r Number. Repetition time in seconds. `NULL`: read from the BIDS
#'   JSON sidecar, then the NIfTI header.
#' @param high_pass,low_pass Number. Filter cut-offs in Hz. `NULL`: no filter.
#' @param detrend Logical. Remove a linear trend from each timeseries.
#' @param smoothing_fwhm Number. Spatial smoothing FWHM in mm. `NULL`: none.
#' @param mask_strategy Character. Without `roi_file`: how a mask is computed
#'   when `mask_img` is `NULL` (`"background"`, `"epi"`,
#'   `"whole-brain-template"`, `"gm-template"`, `"wm-template"`).
#' @param mask_args List. Named arguments of nilearn's mask function, e.g.
#'   `list(opening = 1)`.
#' @param target_affine Number or 4 x 4 matrix. Voxel extraction: resample
#'   the mask to this voxel size in mm or affine.
#' @param target_shape Whole numbers. Voxel extraction: the resampled mask's
#'   shape (three numbers).
#' @param runs Vector. Voxel extraction: one run label per volume.
#' @param high_variance_confounds Logical. Voxel extraction: also regress out
#'   nilearn's high-variance confounds.
#' @param dtype Character. Voxel extraction: `"auto"` or a numpy dtype name.
#' @param output_format Character. `"tsv"`, `"nifti"` or `"npy"` (default:
#'   `"tsv"` for regions, `"nifti"` for voxels).
#' @param discard_scans Whole number. Volumes dropped at the start of each
#'   image (and the same confound rows).
#' @param motion,wm_csf,global_signal Character. With a nilearn confound
#'   strategy or component list in `regressors`: which motion, white
#'   matter/CSF and global signal regressors (`"basic"`, `"power2"`,
#'   `"derivatives"`, `"full"`). `NULL`: the strategy's default.
#' @param scrub Whole number. With scrubbing, also censor kept segments
#'   shorter than this many volumes. `NULL`: the strategy's default.
#' @param fd_threshold,std_dvars_threshold Number. Scrubbing thresholds
#'   (framewise displacement in mm, standardized DVARS). `NULL`: the
#'   strategy's default.
#' @param compcor Character. Which CompCor components, with the `"compcor"`
#'   strategy or component. `NULL`: the strategy's default.
#' @param n_compcor Whole number or `"all"`. CompCor components to keep.
#'   `NULL`: all.
#' @param ica_aroma Character. `"full"` or `"basic"`, with the `"ica_aroma"`
#'   component. `NULL`: the strategy's default.
#' @param demean Logical. Demean the confounds over the kept volumes before
#'   cleaning.
#' @param output_volumes Character. With scrubbing, `"censored"` keeps only
#'   the kept volumes; `"interpolated"` keeps every volume.
#' @param report Logical. Write `report.html` to `output_dir`: the
#'   parameters, the regions drawn on the mean image and each image's
#'   timeseries. Ignored when `output_dir` is `NULL`.
#' @param n_jobs Whole number. Images processed in parallel.
#' @param config Character or list. A JSON config file, or a named list with
#'   the same keys (JSON arrays as vectors or lists). Its values override the
#'   arguments above, with a warning naming each override. `NULL`: none.
#'
#' @returns A tibble with one row per kept volume of each image:
#'   * `file` (character): the input image.
#'   * `volume` (integer): the volume's 1-based position in the image, so
#'     that discarded or scrubbed volumes leave gaps.
#'   * one double column per region (or voxel), in atlas order, named as the
#'     core names them (the labels); a region with no voxels is all `NaN`.
#'
#'   Labels, repetition times, empty regions, failed files and the resolved
#'   parameters are returned by [timeseries_info()]. If some images failed,
#'   the others are returned with a warning of class
#'   `niimasker_warning_failed_files`; if every image failed, the first
#'   image's error is raised.
#' @family extraction
#' @export
#' @examplesIf niimasker_python_available()
#' bold <- system.file("extdata", "fmriprep", "sub-01", "func",
#'   "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz",
#'   package = "niimasker")
#' atlas <- system.file("extdata", "atlas-synthetic12_dseg.nii.gz", package = "niimasker")
#' labels <- system.file("extdata", "atlas-synthetic12_dseg.tsv", package = "niimasker")
#' ts <- extract_timeseries(bold, atlas, labels = labels, t_r = 2,
#'   detrend = TRUE, standardize = TRUE)
#' ts
#' timeseries_info(ts)$labels
extract_timeseries <- function(input_files = NULL, roi_file = NULL, output_dir = NULL,
                               mask_img = NULL, labels = NULL, regressor_files = NULL,
                               regressors = NULL, as_voxels = FALSE, radius = NULL,
                               allow_overlap = NULL, strategy = "mean", data_dir = NULL,
                               standardize = FALSE,
                               standardize_confounds = TRUE, t_r = NULL, high_pass = NULL,
                               low_pass = NULL, detrend = FALSE, smoothing_fwhm = NULL,
                               mask_strategy = "background", mask_args = NULL,
                               target_affine = NULL, target_shape = NULL, runs = NULL,
                               high_variance_confounds = FALSE, dtype = NULL,
                               output_format = NULL, discard_scans = 0L, motion = NULL, wm_csf = NULL,
                               global_signal = NULL, scrub = NULL, fd_threshold = NULL,
                               std_dvars_threshold = NULL, compcor = NULL, n_compcor = NULL,
                               ica_aroma = NULL, demean = TRUE, output_volumes = "censored",
                               report = TRUE, n_jobs = 1L, config = NULL) {
  check_string(output_dir)
  confounds <- confounds_as_files(regressor_files, output_dir)
  if (!is.null(confounds$temporary)) {
    on.exit(unlink(confounds$temporary, recursive = TRUE), add = TRUE)
  }
  args <- list(
    input_files = as_py_list(check_strings(input_files)),
    roi_file = check_string(roi_file),
    output_dir = output_dir,
    mask_img = check_string(mask_img),
    labels = as_py_list(check_labels(labels)),
    regressor_files = as_py_list(confounds$paths),
    regressors = as_py_list(check_strings(regressors)),
    as_voxels = check_flag(as_voxels),
    radius = check_number(radius),
    allow_overlap = check_flag(allow_overlap, allow_null = TRUE),
    strategy = check_string(strategy, allow_null = FALSE),
    data_dir = check_string(data_dir),
    standardize = check_flag_or_string(standardize),
    standardize_confounds = check_flag(standardize_confounds),
    t_r = check_number(t_r),
    high_pass = check_number(high_pass),
    low_pass = check_number(low_pass),
    detrend = check_flag(detrend),
    smoothing_fwhm = check_number(smoothing_fwhm),
    mask_strategy = check_string(mask_strategy, allow_null = FALSE),
    mask_args = mask_args,
    target_affine = as_target_affine(target_affine),
    target_shape = as_py_list(target_shape),
    runs = as_py_list(runs),
    high_variance_confounds = check_flag(high_variance_confounds),
    dtype = check_string(dtype),
    output_format = check_string(output_format),
    discard_scans = check_whole_number(discard_scans),
    motion = check_string(motion),
    wm_csf = check_string(wm_csf),
    global_signal = check_string(global_signal),
    scrub = check_whole_number(scrub, allow_null = TRUE),
    fd_threshold = check_number(fd_threshold),
    std_dvars_threshold = check_number(std_dvars_threshold),
    compcor = check_string(compcor),
    n_compcor = check_whole_number_or_string(n_compcor),
    ica_aroma = check_string(ica_aroma),
    demean = check_flag(demean),
    output_volumes = check_string(output_volumes, allow_null = FALSE),
    report = check_flag(report),
    n_jobs = check_whole_number(n_jobs),
    config = check_config(config)
  )
  result <- call_core("extract_timeseries", args)
  warn_failed_files(result$failures)
  timeseries_tibble(result)
}

#' Metadata of an extraction result
#'
#' The companion of [extract_timeseries()]: what was extracted and how.
#' Subsetting the tibble with functions that drop attributes (e.g. dplyr
#' verbs) also drops this; call it on the result itself.
#'
#' @param x A tibble returned by [extract_timeseries()].
#' @returns A list with:
#'   * `labels`: tibble of the regions, `index` (integer label, `NA` where
#'     the ROI kind has none) and `name` (character, the column name).
#'   * `t_r`: tibble with `file` (character) and `t_r` (double, seconds).
#'   * `empty_regions`: tibble with `file` and `region` (character): regions
#'     with no voxels in that image, whose columns are `NaN`.
#'   * `failures`: tibble with `file`, `error_type` and `message`
#'     (character) for images that failed.
#'   * `sidecars`: named list (by file) of each image's JSON sidecar.
#'   * `output_files`: named list (by file) of the files written.
#'   * `parameters`: the resolved parameters (as in `parameters.json`).
#'   * `output_dir`: character or `NULL`.
#' @family extraction
#' @export
#' @examplesIf niimasker_python_available()
#' bold <- system.file("extdata", "fmriprep", "sub-01", "func",
#'   "sub-01_task-rest_space-MNI305_desc-preproc_bold.nii.gz",
#'   package = "niimasker")
#' atlas <- system.file("extdata", "atlas-synthetic12_dseg.nii.gz", package = "niimasker")
#' ts <- extract_timeseries(bold, atlas, t_r = 2)
#' info <- timeseries_info(ts)
#' info$t_r
#' info$empty_regions
timeseries_info <- function(x) {
  info <- attr(x, "niimasker", exact = TRUE)
  if (is.null(info)) {
    abort_niimasker(
      c("{.arg x} must be a result of {.fn extract_timeseries}.",
        x = "It has no {.field niimasker} attribute; was it subset or modified?"),
      class = "argument"
    )
  }
  info
}

warn_failed_files <- function(failures) {
  if (length(failures) == 0L) {
    return(invisible())
  }
  files <- vapply(failures, function(f) basename(as.character(f$file)), character(1))
  why <- vapply(failures, function(f) paste0(f$error_type, ": ", f$message), character(1))
  bullets <- stats::setNames(cli_escape(paste0(files, ": ", why)), rep("x", length(files)))
  if (length(bullets) > 5L) {
    bullets <- c(bullets[1:5], i = paste0("... and ", length(bullets) - 5L, " more."))
  }
  cli::cli_warn(
    c("{length(failures)} image{?s} failed and {?is/are} not in the result.", bullets,
      i = "See {.code timeseries_info(x)$failures}."),
    class = c("niimasker_warning_failed_files", "niimasker_warning")
  )
}
