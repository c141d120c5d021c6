#' Extract cleaned region timeseries from 4D fMRI images
#'
#' Extracts one timeseries per region (or voxel) from each 4D NIfTI image,
#' cleaned with confounds, detrending, filtering and standardization exactly
#' as nilearn's maskers clean them. Parameters have the same names as the
#' `niimasker` command, its JSON config and the Python API; the Python core
#' checks their values, and `niimasker -h` lists their defaults and choices.
#'
#' Paths are read as R reads them: a leading `~` is the home folder (in
#' `input_files`, `roi_file`, `mask_img`, `labels`, `regressor_files`,
#' `output_dir`, `data_dir`, `config` and the paths a `config` list gives),
#' and the names of a named vector (e.g. the result of [sapply()]) are
#' ignored, except where they name ROI sets (`roi_file`, `mask_img`,
#' `labels`).
#'
#' @param input_files Character. 4D NIfTI images, CIFTI dense timeseries
#'   (`.dtseries.nii`), GIFTI hemispheres (`.func.gii`) or FreeSurfer surface
#'   series (`.mgh`/`.mgz`; a run's `hemi-L` and `hemi-R`, or `lh.` and
#'   `rh.`, files are one image), or one wildcard pattern such as
#'   `"fmriprep/sub-*/func/*preproc_bold.nii.gz"`. Files are naturally
#'   sorted; a 3D image (beta map, VBM) gives one row. A file given (or
#'   matched) twice is used once, with a `niimasker_warning_unused_option`. `NULL`: taken from
#'   `config`.
#' @param roi_file Character. The regions: a labelled atlas (integer labels,
#'   0 = background), a binary mask of one region, a 4D probabilistic atlas,
#'   a `.tsv`/`.csv` of `x`, `y`, `z` coordinates for spheres, a surface
#'   atlas for surface images (`.dlabel.nii`, or one hemisphere's
#'   `.label.gii` or `.annot`, its other half found by name), surface maps
#'   (`.dscalar.nii`, or one hemisphere's `.shape.gii` or `.func.gii`: a
#'   region per map), or a nilearn atlas query such as
#'   `"nilearn:schaefer:400-17-2"` (see [nilearn_atlas()]). Several ROI sets
#'   are extracted from one read of each image when `roi_file` has several
#'   elements: a character vector, named
#'   (`c(schaefer = "a.nii.gz", seeds = "b.tsv")`) or not (names then come
#'   from the files' `atlas-<name>` entity or stem). `NULL`: taken from
#'   `config`; an error when `config` gives none (use [extract_voxels()]
#'   for every voxel of a mask).
#' @param output_dir Character. When given, also writes there the files the
#'   `niimasker` command writes (`<stem>_timeseries.tsv`, JSON sidecars,
#'   `niimasker_data/parameters.json`). `NULL`: nothing is written.
#' @param mask_img Character. A binary NIfTI mask restricting an atlas or
#'   spheres to the voxels inside it; for a surface atlas or maps, a vertex
#'   mask (`.dscalar.nii`, or one hemisphere's `.shape.gii` or `.label.gii`;
#'   non-zero = in). With several ROI sets it applies to each. To give each
#'   set its own mask, name the masks by set (the names of `roi_file`): a
#'   named character vector or named list, e.g.
#'   `c(schaefer = "gm_mask.nii.gz")`; a set left out gets no mask. `NULL`:
#'   no mask.
#' @param labels Character, data frame or named list. Region names in
#'   ascending label order (unnamed), a labels `.tsv` file, or a data frame
#'   with a `name` column (and optionally `index`), such as the `labels` of
#'   [nilearn_atlas()]. With several ROI sets, give each set its own as a
#'   named list keyed by set name, e.g.
#'   `list(schaefer = "schaefer.tsv", seeds = c("PCC", "mPFC"))` (or a named
#'   character vector of labels files); a set left out keeps its default
#'   names. `NULL`: the numeric labels (a nilearn atlas: its own names).
#' @param regressor_files Character or data frame. Confound tables, one per
#'   input image, or one wildcard pattern; fMRIPrep files are paired with
#'   images by their BIDS entities. A data frame or numeric matrix (one image)
#'   or a list of them (one per image, in the images' order) gives the
#'   confounds directly: numeric columns, one row per volume, `NA` where
#'   fMRIPrep writes `n/a` (read its tables with
#'   `read.delim(file, na.strings = "n/a")`);
#'   with `output_dir` they are also saved in
#'   `niimasker_data/confounds/confounds-001.tsv`, .... `NULL`: no confounds.
#' @param regressors Character. Confound column names (wildcards allowed), a
#'   preset such as `"Params6"`, or nilearn strategy components. `NULL`: every
#'   column of `regressor_files`.
#' @param as_voxels Logical. Extract every voxel instead of region summaries.
#' @param radius Number. Sphere radius in mm around coordinates. `NULL`: the
#'   single voxel at each coordinate. With a `roi_file` that has no
#'   coordinates it is not used, with a `niimasker_warning_unused_option`.
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
#'   `"whole-brain-template"`, `"gm-template"`, `"wm-template"`). Another
#'   value than the default with `roi_file` is not used, with a
#'   `niimasker_warning_unused_option`.
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
#' @param output_format Character. `"tsv"`, `"nifti"`, `"npy"` or `"cifti"`
#'   (default: `"tsv"` for regions, `"nifti"` for voxels: a surface run's
#'   grayordinates in its own format, `.dtseries.nii` or a GIFTI pair).
#'   `"cifti"` writes a surface atlas's tables as `.ptseries.nii` too, and
#'   every grayordinate as `.dtseries.nii`.
#' @param output_layout Character. `"flat"` (default: every file in
#'   `output_dir`, named after its image) or `"bids"`: a BIDS derivative
#'   dataset (`dataset_description.json`,
#'   `sub-<>/[ses-<>/]func/<entities>_atlas-<set>_stat-mean_timeseries.tsv`,
#'   `..._stat-coverage_bold.tsv`, the atlases in `atlases/`); needs BIDS-named
#'   images and a `roi_file`.
#' @param min_coverage Number from 0 to 1. Regions whose coverage (the share
#'   of their voxels or vertices inside the mask and finite in the image,
#'   XCP-D's definition) is below it are `NA` in that image's table, listed in
#'   the sidecar and the coverage table. `NULL`: every region is kept.
#' @param discard_scans Whole number or `"auto"`. Volumes dropped at the
#'   start of each image (and the same confound rows). `"auto"`: the leading
#'   volumes its confounds file flags as non-steady-state (XCP-D's convention).
#' @param nan_policy Character. NaN or infinite voxels inside the ROI:
#'   `"error"` stops, `"zero"` counts them as 0 (nilearn's behaviour),
#'   `"omit"` computes each region's statistic over its finite voxels.
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
#' @param demean Logical. With a preset, strategy or component list: demean
#'   the confounds over the kept volumes before cleaning. Column names are
#'   regressed as given.
#' @param output_volumes Character. With scrubbing, `"censored"` keeps only
#'   the kept volumes; `"interpolated"` keeps every volume.
#' @param connectivity Character. Connectivity matrices of each image, from
#'   the kept volumes of its cleaned timeseries: any of `"correlation"`,
#'   `"partial correlation"`, `"covariance"`, `"precision"` and `"tangent"`
#'   (nilearn's `ConnectivityMeasure` kinds; `"tangent"` is relative to the
#'   batch's geometric mean and needs two or more images). They are returned
#'   as the long tibble `timeseries_info(x)$connectivity` and, with
#'   `output_dir`, written as `<stem>_<kind>_relmat.tsv` (kind without spaces)
#'   with a JSON sidecar. `NULL`: none.
#' @param connectivity_estimator Character. `"empirical"` (the plain
#'   covariance; its correlation is Pearson's, as [stats::cor()]) or
#'   `"ledoitwolf"` (shrunk, nilearn's default).
#' @param fisher_z Logical. Give correlation and partial correlation
#'   matrices as Fisher z (`atanh()`; the diagonal is `NaN`).
#' @param report Logical. Write `report.html` to `output_dir`: the
#'   parameters, the regions drawn on the mean image and each image's
#'   timeseries. Ignored when `output_dir` is `NULL`.
#' @param surf_mesh Character. The report only: a GIFTI mesh (`.surf.gii`,
#'   one hemisphere's file brings the other's) to draw a surface run's atlas
#'   on, such as fsLR 32k's inflated surface. `NULL`: fsaverage5 runs are
#'   drawn on nilearn's fsaverage5, other meshes not at all.
#' @param n_jobs Whole number. Images processed in parallel (`-1`: one per
#'   core; `0` is an error).
#' @param overwrite Logical. Redo every image. `FALSE`: with `output_dir`, an
#'   image whose outputs there are complete and were made from the same inputs
#'   and settings is read back instead of extracted again, so an interrupted
#'   batch resumes. `TRUE` also lets the batch replace files with its outputs'
#'   names that no niimasker run wrote (refused otherwise).
#' @param shard Character. `"i/N"`: process only every N-th image starting at
#'   the i-th (natural order), e.g. one task of a SLURM job array. `NULL`:
#'   every image.
#' @param dask_scheduler Character. Run each image as a task on a Dask
#'   cluster: a scheduler address such as `"tcp://host:8786"`, or `"local"`
#'   for a local cluster of `n_jobs` workers. Needs Python's `dask` and
#'   `distributed`. `NULL`: in this R session (or `n_jobs` processes).
#' @param dask_timeout Number. Seconds to wait for the Dask scheduler given
#'   in `dask_scheduler` to answer before giving up with an error.
#' @param max_memory Character or number. Memory budget, e.g. `"8GB"` or
#'   `"500MB"` (a number is bytes). Before reading, each file's header says
#'   how big its data are: a run streamed needs one volume in memory, an
#'   atlas or mask is read whole; a file claiming more than the budget is
#'   refused (class `niimasker_error_budget`), as are voxel outputs larger
#'   than the free space of `output_dir`. `NULL`: half the machine's memory.
#' @param verbose Logical. Say one line per image (done, skipped or
#'   failed) as an R message (class `niimasker_message_image`).
#' @param config Character or list. A JSON config file, or a named list with
#'   the same keys (JSON arrays as vectors or lists). Its values override the
#'   arguments above, with a warning (class
#'   `niimasker_warning_config_override`) naming each override. `NULL`: none.
#' @param progress Logical. Show a cli progress bar over the images. `NULL`:
#'   only in interactive sessions (not in `Rscript` or knitr).
#' @param ... Not used: an argument that is not one of the above (e.g. a
#'   misspelled name such as `detrnd`) is an error of class
#'   `niimasker_error_argument` that names the closest argument.
#'
#' @returns A tibble with one row per kept volume of each image (with several
#'   ROI sets in `roi_file`, a named list of such tibbles, one per set, each
#'   with its own [timeseries_info()]):
#'   * `file` (character): the input image.
#'   * BIDS entities of the image's name when it has them (character): `sub`
#'     and `participant_id` (`"sub-01"`, as `participants.tsv` writes it, to
#'     join with it), `ses`, `task`, `run` (those present), then the others
#'     (`space`, `desc`, ...); `NA` where an image lacks one.
#'   * `volume` (integer): the volume's 1-based position in the image, so
#'     that discarded or scrubbed volumes leave gaps.
#'   * one double column per region (or voxel), in atlas order, named as the
#'     core names them (the labels, a bare number `1` as `region_1`; voxels
#'     as `<region>_<i>_<j>_<k>` with 1-based voxel indices); a region with no
#'     voxels is all `NaN`.
#'
#'   Every warning of the core is an R warning of class
#'   `niimasker_warning_<kind>` and `niimasker_warning` (e.g.
#'   `niimasker_warning_config_override`, `niimasker_warning_repetition_time`,
#'   `niimasker_warning_empty_region`, `niimasker_warning_unused_option`), so
#'   [suppressWarnings()], [withCallingHandlers()] and knitr see them.
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
                               output_format = NULL, output_layout = "flat",
                               min_coverage = NULL, discard_scans = 0L, nan_policy = "error",
                               motion = NULL, wm_csf = NULL,
                               global_signal = NULL, scrub = NULL, fd_threshold = NULL,
                               std_dvars_threshold = NULL, compcor = NULL, n_compcor = NULL,
                               ica_aroma = NULL, demean = TRUE, output_volumes = "censored",
                               connectivity = NULL, connectivity_estimator = "empirical",
                               fisher_z = FALSE, report = TRUE, surf_mesh = NULL, n_jobs = 1L,
                               overwrite = FALSE, shard = NULL,
                               dask_scheduler = NULL, dask_timeout = 10,
                               max_memory = NULL, verbose = FALSE, config = NULL,
                               progress = NULL, ...) {
  check_no_dots(match.call(expand.dots = FALSE)$..., extract_timeseries)
  args <- check_parameters(mget(names(parameter_checks)), parameter_checks)
  # Only the arguments the caller gave reach the core, so that it can tell an
  # explicit default (which a config then overrides, with a warning) from an
  # omitted argument.
  args <- args[names(args) %in% names(match.call())[-1]]
  show_progress <- check_flag(progress, allow_null = TRUE) %||% rlang::is_interactive()
  confounds <- confounds_as_files(regressor_files, output_dir, input_files)
  if (!is.null(confounds$temporary)) {
    on.exit(unlink(confounds$temporary, recursive = TRUE), add = TRUE)
  }
  args$regressor_files <- as_py_list(confounds$paths)
  result <- call_core(
    "extract_timeseries",
    list(kwargs = args, progress = progress_callback(show_progress), regions = TRUE,
         say = verbose_callback()),
    rename = confounds$rename
  )
  warn_failed_files(result$failures, rename = confounds$rename)
  timeseries_tibble(result)
}

#' The type checker of each parameter of [extract_timeseries()]
#'
#' One entry per argument the core takes: name -> checker, which returns the
#' value converted for Python. The Python core checks what values mean; a
#' new parameter is one line here (and its roxygen line).
#' @noRd
parameter_checks <- list(
  input_files = function(x, ...) as_py_list(expand_tilde(check_strings(x, ...))),
  roi_file = check_roi_files,
  output_dir = function(x, ...) expand_tilde(check_string(x, ...)),
  mask_img = check_mask_img,
  labels = check_labels_arg,
  regressor_files = check_confounds_arg,
  regressors = function(x, ...) as_py_list(check_strings(x, ...)),
  as_voxels = check_flag,
  radius = check_number,
  allow_overlap = function(x, ...) check_flag(x, allow_null = TRUE, ...),
  strategy = function(x, ...) check_string(x, allow_null = FALSE, ...),
  data_dir = function(x, ...) expand_tilde(check_string(x, ...)),
  standardize = check_flag_or_string,
  standardize_confounds = check_flag,
  t_r = check_number,
  high_pass = check_number,
  low_pass = check_number,
  detrend = check_flag,
  smoothing_fwhm = check_number,
  mask_strategy = function(x, ...) check_string(x, allow_null = FALSE, ...),
  mask_args = function(x, ...) x,
  target_affine = function(x, ...) as_target_affine(x),
  target_shape = function(x, ...) as_py_list(x),
  runs = function(x, ...) as_py_list(x),
  high_variance_confounds = check_flag,
  dtype = check_string,
  output_format = check_string,
  output_layout = function(x, ...) check_string(x, allow_null = FALSE, ...),
  min_coverage = check_number,
  discard_scans = check_whole_number_or_string,
  nan_policy = function(x, ...) check_string(x, allow_null = FALSE, ...),
  motion = check_string,
  wm_csf = check_string,
  global_signal = check_string,
  scrub = function(x, ...) check_whole_number(x, allow_null = TRUE, ...),
  fd_threshold = check_number,
  std_dvars_threshold = check_number,
  compcor = check_string,
  n_compcor = check_whole_number_or_string,
  ica_aroma = check_string,
  demean = check_flag,
  output_volumes = function(x, ...) check_string(x, allow_null = FALSE, ...),
  connectivity = function(x, ...) as_py_list(check_strings(x, ...)),
  connectivity_estimator = function(x, ...) check_string(x, allow_null = FALSE, ...),
  fisher_z = check_flag,
  report = check_flag,
  surf_mesh = function(x, ...) expand_tilde(check_string(x, ...)),
  n_jobs = check_whole_number,
  overwrite = check_flag,
  shard = check_string,
  dask_scheduler = check_string,
  dask_timeout = function(x, ...) check_number(x, allow_null = FALSE, ...),
  max_memory = check_size,
  verbose = check_flag,
  config = check_config
)

#' Metadata of an extraction result
#'
#' The companion of [extract_timeseries()]: what was extracted and how.
#' After rows or columns are dropped (e.g. with dplyr's `filter()`,
#' `select()` or a join), it describes only the files and regions left;
#' a function that drops attributes drops it too.
#'
#' @param x A tibble returned by [extract_timeseries()] or [read_timeseries()].
#' @returns A list with:
#'   * `labels`: tibble of the regions, `index` (integer label, `NA` where
#'     the ROI kind has none) and `name` (character, the column name).
#'   * `t_r`: tibble with `file` (character) and `t_r` (double, seconds).
#'   * `empty_regions`: tibble with `file` and `region` (character): regions
#'     with no voxels in that image, whose columns are `NaN`.
#'   * `failures`: tibble with `file`, `error_type` and `message`
#'     (character) for images that failed.
#'   * `sidecars`: named list (by file) of each image's JSON sidecar, with
#'     1-based volume numbers (`OutputVolumes`, `CensoredVolumes`,
#'     `InterpolatedVolumes`, `integer(0)` when empty).
#'   * `output_files`: named list (by file) of the files written.
#'   * `connectivity`: with `connectivity`, a long tibble of every matrix:
#'     `file` and the image's BIDS entity columns (as in the timeseries
#'     tibble), `kind` (character, nilearn's name), `node_from`, `node_to`
#'     (character, region names as the timeseries columns) and `value`
#'     (double; `NaN` for regions left out and for a Fisher z diagonal), one
#'     row per pair of regions, the diagonal included. Zero rows otherwise.
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
  info_of_rows(unclass(info), x)
}

#' The metadata of the files and regions still in `x`
#'
#' Row filters and joins (dplyr's among them) keep the attribute as it was,
#' so the per-file tables are cut to the files left in `x$file` and the
#' labels to the region columns left in `x`.
#' @noRd
info_of_rows <- function(info, x) {
  if ("file" %in% names(x)) {
    files <- unique(as.character(x[["file"]]))
    info$t_r <- info$t_r[info$t_r$file %in% files, , drop = FALSE]
    info$empty_regions <- info$empty_regions[info$empty_regions$file %in% files, , drop = FALSE]
    info$sidecars <- info$sidecars[names(info$sidecars) %in% files]
    info$output_files <- info$output_files[names(info$output_files) %in% files]
    if (!is.null(info$connectivity)) {
      info$connectivity <- info$connectivity[info$connectivity$file %in% files, , drop = FALSE]
    }
  }
  kept <- info$labels$name %in% names(x)
  if (any(kept)) {
    info$labels <- info$labels[kept, , drop = FALSE]
  }
  info
}

# `str()` of a result: its metadata in one line, not ~250.
#' @export
str.niimasker_info <- function(object, ...) {
  cat(" niimasker metadata: see timeseries_info()\n")
  invisible()
}

warn_failed_files <- function(failures, rename = identity) {
  if (length(failures) == 0L) {
    return(invisible())
  }
  files <- vapply(failures, function(f) basename(as.character(f$file)), character(1))
  # The class names stay in timeseries_info(x)$failures; the warning reads as R.
  why <- vapply(failures, function(f) rename(as.character(f$message)), character(1))
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
