# R-only arguments of extract_timeseries() and Python-only ones.
r_only_args <- c("progress", "...")
python_only_args <- c("progress", "command")

test_that("extract_timeseries() has the core's parameters, in order, with its defaults", {
  skip_if_no_core()
  sig <- core_signature("extract_timeseries")
  sig <- sig[setdiff(names(sig), python_only_args)]
  r_formals <- formals(extract_timeseries)
  r_formals <- r_formals[setdiff(names(r_formals), r_only_args)]
  expect_identical(names(r_formals), names(sig))
  for (name in names(sig)) {
    expect_equal(eval(r_formals[[name]]), sig[[name]], label = paste("default of", name))
  }
})

test_that("R exposes exactly the parameters declared in settings.PARAMETERS", {
  skip_if_no_core()
  declared <- core_parameter_names()
  call_args <- "config" # an argument of the call, not a parameter
  r_params <- setdiff(names(formals(extract_timeseries)), c(r_only_args, call_args))
  expect_identical(r_params, declared)
  # The checks are driven by one list, with one checker per argument.
  expect_identical(names(parameter_checks), setdiff(names(formals(extract_timeseries)), r_only_args))
  expect_true(all(vapply(parameter_checks, is.function, logical(1))))
})

python_values <- function(kwargs) {
  # The core's own arrays (through the R bridge, rebuilt in Python), as plain lists of columns.
  to_columns <- reticulate::py_eval(paste(
    "lambda bridge, out: [[[float(v) for v in col] for col in bridge.timeseries_to_array(item).T]",
    "for item in out['result']['timeseries']]"
  ))
  to_columns(core_bridge(), core_bridge()$extract_timeseries(kwargs))
}

test_that("values equal the Python core's, file by file", {
  skip_if_no_core()
  args <- list(
    input_files = list(example_bold("01"), example_bold("02")),
    roi_file = example_atlas(), labels = example_labels(),
    regressor_files = list(example_confounds("01"), example_confounds("02")),
    regressors = list("trans_x", "trans_y", "rot_z"), t_r = 2, high_pass = 0.01,
    detrend = TRUE, standardize = TRUE, discard_scans = 2L
  )
  ts <- extract_timeseries(
    c(example_bold("01"), example_bold("02")), example_atlas(), labels = example_labels(),
    regressor_files = c(example_confounds("01"), example_confounds("02")),
    regressors = c("trans_x", "trans_y", "rot_z"), t_r = 2, high_pass = 0.01,
    detrend = TRUE, standardize = TRUE, discard_scans = 2
  )
  py <- python_values(args)
  expect_identical(names(ts), c("file", "sub", "participant_id", "task", "space", "desc", "volume",
                                sprintf("region%03d", 1:12)))
  for (i in 1:2) {
    rows <- ts$file == example_bold(sprintf("%02d", i))
    expect_identical(ts$volume[rows], 3:80)
    for (j in 1:12) {
      expect_identical(regions(ts)[[j]][rows], py[[i]][[j]])
    }
  }
})

test_that("values equal nilearn's NiftiLabelsMasker", {
  skip_if_no_core()
  ts <- extract_timeseries(example_bold(), example_atlas(), t_r = 2, detrend = TRUE,
                           high_pass = 0.01, low_pass = 0.1)
  maskers <- reticulate::import("nilearn.maskers", convert = FALSE)
  masker <- maskers$NiftiLabelsMasker(labels_img = example_atlas(), detrend = TRUE, t_r = 2,
                                      high_pass = 0.01, low_pass = 0.1)
  expected <- reticulate::py_to_r(masker$fit_transform(example_bold())$T$tolist())
  expect_identical(ncol(regions(ts)), length(expected))
  # nilearn filters these float32 signals column by column in float32; the core
  # keeps them in float64 (vectorised filter), so they agree to float32 rounding.
  for (j in seq_along(expected)) {
    expect_equal(regions(ts)[[j]], unlist(expected[[j]]), tolerance = 1e-6)
  }
})

test_that("labels can be a data frame, such as nilearn_atlas()$labels", {
  skip_if_no_core()
  labels <- tibble::tibble(index = 12:1, name = paste0("r", 12:1))
  ts <- extract_timeseries(example_bold(), example_atlas(), labels = labels, t_r = 2)
  expect_identical(names(regions(ts)), paste0("r", 1:12))
  expect_identical(timeseries_info(ts)$labels$name, paste0("r", 1:12))
})

# Timing fields in the metadata differ between runs; compare the values.
without_info <- function(x) {
  attr(x, "niimasker") <- NULL
  x
}

test_that("config as a named list or JSON file gives the same as arguments", {
  skip_if_no_core()
  direct <- extract_timeseries(example_bold(), example_atlas(), t_r = 2, detrend = TRUE)
  from_list <- extract_timeseries(config = list(
    input_files = example_bold(), roi_file = example_atlas(), t_r = 2, detrend = TRUE
  ))
  expect_identical(without_info(from_list), without_info(direct))
  path <- withr::local_tempfile(fileext = ".json")
  writeLines(sprintf('{"input_files": ["%s"], "roi_file": "%s", "t_r": 2, "detrend": true}',
                     example_bold(), example_atlas()), path)
  expect_identical(without_info(extract_timeseries(config = path)), without_info(direct))
  expect_error(extract_timeseries(config = list(not_a_parameter = 1)),
               class = "niimasker_error_config")
})

test_that("output_dir writes the command's files", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  ts <- extract_timeseries(example_bold(), example_atlas(), output_dir = out, t_r = 2)
  info <- timeseries_info(ts)
  expect_identical(info$output_dir, out)
  tsv <- list.files(out, pattern = "_timeseries\\.tsv$", full.names = TRUE)
  expect_length(tsv, 1L)
  written <- utils::read.delim(tsv, check.names = FALSE)
  # the command's TSV keeps bare-number labels; R names them region_<label>
  expect_identical(paste0("region_", names(written)), names(regions(ts)))
  expect_equal(as.matrix(written), as.matrix(regions(ts)), tolerance = 1e-6, ignore_attr = TRUE)
  expect_true(file.exists(file.path(out, "niimasker_data", "parameters.json")))
})

test_that("failed images are reported and the others returned", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  good <- file.path(dir, basename(example_confounds("01")))
  bad <- file.path(dir, basename(example_confounds("02")))
  file.copy(example_confounds("01"), good)
  writeLines(readLines(example_confounds("02"))[1:11], bad) # 10 rows for 80 volumes
  expect_warning(
    ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(),
                             regressor_files = c(good, bad), regressors = "trans_x", t_r = 2),
    class = "niimasker_warning_failed_files"
  )
  expect_identical(unique(ts$file), example_bold("01"))
  failures <- timeseries_info(ts)$failures
  expect_identical(failures$file, example_bold("02"))
  expect_identical(failures$error_type, "ConfoundsError")
  cnd <- expect_warning(
    warn_failed_files(list(list(file = "/data/b.nii.gz", error_type = "ConfoundsError",
                                message = "'regressor_files' has {10} rows."))),
    class = "niimasker_warning_failed_files"
  )
  expect_snapshot(warning(cnd))
})

test_that("Python errors arrive with their class and message", {
  skip_if_no_core()
  expect_error(extract_timeseries(file.path(tempdir(), "missing_bold.nii.gz"), example_atlas()),
               class = "niimasker_error_image_not_found")
  expect_error(extract_timeseries(example_bold(), example_atlas(), strategy = "mode"),
               class = "niimasker_error_settings")
  expect_snapshot(error = TRUE, extract_timeseries(example_bold(), example_atlas(), t_r = -1))
})

test_that("arguments reticulate would mangle are refused before Python", {
  # No skip: these never reach Python.
  expect_error(extract_timeseries("a.nii.gz", t_r = c(2, 3)), class = "niimasker_error_argument")
  expect_error(extract_timeseries("a.nii.gz", detrend = NA), class = "niimasker_error_argument")
  expect_error(extract_timeseries("a.nii.gz", discard_scans = 2.5), class = "niimasker_error_argument")
  expect_error(extract_timeseries(NA_character_), class = "niimasker_error_argument")
  expect_error(extract_timeseries("a.nii.gz", roi_file = data.frame(x = 1)),
               class = "niimasker_error_argument")
  expect_snapshot(error = TRUE,
                  extract_timeseries("a.nii.gz", regressor_files = data.frame(x = "a")))
  expect_error(extract_timeseries("a.nii.gz", regressor_files = list(1, 2)),
               class = "niimasker_error_argument")
  expect_snapshot(error = TRUE, extract_timeseries("a.nii.gz", n_jobs = "2"))
})

test_that("n_jobs > 1 works from embedded Python and gives the serial result", {
  skip_if_no_core()
  files <- c(example_bold("01"), example_bold("02"))
  serial <- extract_timeseries(files, example_atlas(), t_r = 2, detrend = TRUE)
  parallel <- extract_timeseries(files, example_atlas(), t_r = 2, detrend = TRUE, n_jobs = 2)
  expect_identical(without_info(parallel), without_info(serial))
})

test_that("confounds given as data frames equal the same confounds files", {
  skip_if_no_core()
  read_confounds <- function(sub) {
    utils::read.delim(example_confounds(sub), na.strings = "n/a", check.names = FALSE)
  }
  files <- c(example_bold("01"), example_bold("02"))
  settings <- list(roi_file = example_atlas(), regressors = c("trans_*", "rot_z", "csf"),
                   t_r = 2, detrend = TRUE, high_pass = 0.01, standardize = "zscore_sample")
  from_files <- do.call(extract_timeseries, c(list(
    input_files = files, regressor_files = c(example_confounds("01"), example_confounds("02"))
  ), settings))
  from_frames <- do.call(extract_timeseries, c(list(
    input_files = files, regressor_files = list(read_confounds("01"), read_confounds("02"))
  ), settings))
  expect_identical(without_info(from_frames), without_info(from_files))

  out <- withr::local_tempdir()
  one <- extract_timeseries(example_bold("01"), example_atlas(), regressors = "trans_x",
                            regressor_files = read_confounds("01"), output_dir = out)
  saved <- file.path(out, "niimasker_data", "confounds", "confounds-001.tsv")
  expect_true(file.exists(saved))
  expect_identical(timeseries_info(one)$sidecars[[1]]$ConfoundsFile, saved)
  expect_equal(utils::read.delim(saved, na.strings = "n/a", check.names = FALSE),
               read_confounds("01"))
})

test_that("BIDS entities are columns after file", {
  skip_if_no_core()
  ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(), t_r = 2)
  expect_identical(names(ts)[1:7], c("file", "sub", "participant_id", "task", "space", "desc", "volume"))
  expect_identical(unique(ts$sub), c("01", "02"))
  expect_identical(unique(ts$task), "rest")
  expect_identical(as.vector(table(ts$sub)), c(80L, 80L))
})

test_that("sidecars and voxel names are one-based, empty lists are integer(0)", {
  skip_if_no_core()
  ts <- extract_timeseries(example_bold(), example_atlas(), t_r = 2, discard_scans = 2)
  sidecar <- timeseries_info(ts)$sidecars[[1]]
  expect_identical(sidecar$OutputVolumes, ts$volume)
  expect_identical(sidecar$OutputVolumes[1], 3L)
  expect_identical(sidecar$CensoredVolumes, integer(0))
  expect_identical(sidecar$InterpolatedVolumes, integer(0))
  vox <- extract_timeseries(example_bold(), example_atlas(), t_r = 2, as_voxels = TRUE,
                            labels = example_labels())
  py <- reticulate::py_to_r(core_bridge()$extract_timeseries(list(
    input_files = list(example_bold()), roi_file = example_atlas(), t_r = 2, as_voxels = TRUE,
    labels = example_labels()
  )))
  core_names <- as.character(unlist(py$result$timeseries[[1]]$columns))
  r_names <- setdiff(names(vox), c("file", "sub", "task", "space", "desc", "volume"))
  ijk <- function(x) matrix(as.integer(unlist(regmatches(x, gregexpr("[0-9]+$|[0-9]+(?=_[0-9]+_[0-9]+$)|[0-9]+(?=_[0-9]+$)", x, perl = TRUE)))), ncol = 3, byrow = TRUE)
  expect_identical(ijk(r_names), ijk(core_names) + 1L)
})

test_that("core warnings are classed R warnings with the core's message", {
  skip_if_no_core()
  cnd <- expect_warning(
    extract_timeseries(example_bold(), example_atlas(), t_r = 1.5, config = list(t_r = 2)),
    class = "niimasker_warning_config_override"
  )
  expect_s3_class(cnd, "niimasker_warning")
  expect_identical(conditionMessage(cnd), "The config file overrides: `t_r` (given 1.5, config 2).")
  expect_identical(cnd$parameter, "t_r")
  cnd <- expect_warning(extract_timeseries(example_bold(), example_atlas(), t_r = 1.5),
                        class = "niimasker_warning_repetition_time")
  expect_match(conditionMessage(cnd), "^`t_r` is 1.5 s but for '.*' the JSON sidecar says 2 s")
  # suppressWarnings() and withCallingHandlers() see them.
  expect_silent(suppressWarnings(extract_timeseries(example_bold(), example_atlas(), t_r = 1.5)))
  seen <- character()
  withCallingHandlers(
    extract_timeseries(example_bold(), example_atlas(), t_r = 1.5),
    niimasker_warning = function(w) {
      seen <<- c(seen, class(w)[1])
      invokeRestart("muffleWarning")
    }
  )
  expect_identical(seen, "niimasker_warning_repetition_time")
})

test_that("an empty region is niimasker_warning_empty_region, also from parallel workers", {
  skip_if_no_core()
  seeds <- withr::local_tempfile(fileext = ".tsv")
  writeLines(c("x\ty\tz\tname", "0\t0\t0\tinside", "900\t900\t900\toutside"), seeds)
  bolds <- c(example_bold("01"), example_bold("02"))
  for (jobs in c(1L, 2L)) {
    seen <- list()
    ts <- withCallingHandlers(
      extract_timeseries(bolds, seeds, t_r = 2, radius = 6, n_jobs = jobs),
      niimasker_warning = function(w) {
        seen[[length(seen) + 1L]] <<- w
        invokeRestart("muffleWarning")
      }
    )
    classes <- vapply(seen, function(w) class(w)[1], character(1))
    expect_identical(classes, rep("niimasker_warning_empty_region", 2), label = paste("n_jobs", jobs))
    expect_match(conditionMessage(seen[[1]]), '^Region "outside" has no voxels in')
    expect_true(all(is.nan(ts$outside)))
  }
})

test_that("errors are worded for R and carry their parts", {
  skip_if_no_core()
  cnd <- expect_error(extract_timeseries(example_bold(), example_atlas(), t_r = -2),
                      class = "niimasker_error_settings")
  expect_identical(conditionMessage(cnd), "`t_r` must be a positive number, not -2.")
  expect_identical(cnd$parameter, "t_r")
  expect_identical(cnd$parts$value, -2)
  cnd <- expect_error(extract_timeseries(example_bold(), example_atlas(), detrend = TRUE,
                                         strategy = "nope"),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(cnd), '^`strategy` must be one of "mean", .*, not "nope".$')
})

test_that("a confounds data frame with the wrong rows is named as the data frame", {
  skip_if_no_core()
  conf <- utils::read.delim(example_confounds("02"), na.strings = "n/a")[, c("trans_x", "rot_z")]
  good <- utils::read.delim(example_confounds("01"), na.strings = "n/a")[, c("trans_x", "rot_z")]
  cnd <- expect_warning(
    extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(), t_r = 2,
                       regressor_files = list(good, conf[-1, ])),
    class = "niimasker_warning_failed_files"
  )
  expect_match(conditionMessage(cnd), "data frame 2 of `regressor_files` has 79 rows", fixed = TRUE)
  expect_no_match(conditionMessage(cnd), "confounds-002", fixed = TRUE)
})

test_that("progress = TRUE drives a cli progress bar from the core's callback", {
  skip_if_no_core()
  withr::local_options(cli.progress_show_after = 0, cli.progress_handlers_only = "logger")
  # cli's "logger" handler writes each bar event as a line to stdout.
  out <- capture.output(
    ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(),
                             t_r = 2, progress = TRUE)
  )
  expect_true(any(grepl("cli-[0-9]+-[0-9]+ 2/2", out)))
  quiet <- capture.output(extract_timeseries(example_bold(), example_atlas(), t_r = 2))
  expect_false(any(grepl("cli-[0-9]+-[0-9]+", quiet)))  # off in non-interactive sessions
  expect_error(extract_timeseries(example_bold(), example_atlas(), progress = NA),
               class = "niimasker_error_argument")
})

test_that("discard_scans takes \"auto\" and nan_policy reaches the core", {
  skip_if_no_core()
  ts <- extract_timeseries(example_bold(), example_atlas(),
                           regressor_files = example_confounds(),
                           regressors = "trans_x", discard_scans = "auto",
                           nan_policy = "zero")
  sidecar <- timeseries_info(ts)$sidecars[[1]]
  expect_identical(sidecar$Cleaning$discard_scans, "auto")
  expect_identical(sidecar$Cleaning$nan_policy, "zero")
  expect_identical(sidecar$DiscardedScans, 0L)  # the example flags no volume
  expect_error(extract_timeseries(example_bold(), example_atlas(), discard_scans = TRUE),
               class = "niimasker_error_argument")
  expect_error(extract_timeseries(example_bold(), example_atlas(), nan_policy = "drop"),
               class = "niimasker_error_settings")
})

test_that("several ROI sets give a named list of tibbles, each equal to its own run", {
  skip_if_no_core()
  seeds <- withr::local_tempfile(fileext = ".tsv")
  writeLines(c("x\ty\tz", "0\t0\t0", "10\t-10\t5"), seeds)
  both <- extract_timeseries(example_bold(), c(atlas = example_atlas(), seeds = seeds),
                             t_r = 2, radius = 6, detrend = TRUE)
  expect_type(both, "list")
  expect_identical(names(both), c("atlas", "seeds"))
  # radius applies to the seeds only: alone, the atlas says it does not use it
  expect_warning(alone_atlas <- extract_timeseries(example_bold(), example_atlas(), t_r = 2,
                                                   radius = 6, detrend = TRUE),
                 class = "niimasker_warning_unused_option")
  alone_seeds <- extract_timeseries(example_bold(), seeds, t_r = 2, radius = 6, detrend = TRUE)
  expect_equal(without_info(both$atlas), without_info(alone_atlas))
  expect_equal(without_info(both$seeds), without_info(alone_seeds))
  expect_identical(timeseries_info(both$seeds)$labels$name, timeseries_info(alone_seeds)$labels$name)
  expect_error(extract_timeseries(example_bold(), list(a = 1)), class = "niimasker_error_argument")
})

test_that("labels and mask_img per ROI set equal separate runs of each set", {
  skip_if_no_core()
  seeds <- withr::local_tempfile(fileext = ".tsv")
  writeLines(c("x\ty\tz", "0\t0\t0", "10\t-10\t5"), seeds)
  # A mask of every other slice of the atlas grid: it cuts every region.
  mask <- withr::local_tempfile(fileext = ".nii.gz")
  made <- reticulate::py_run_string(paste(
    "def half_mask(src, out):",
    "    import nibabel as nib, numpy as np",
    "    img = nib.load(src)",
    "    data = np.zeros(img.shape[:3], 'uint8')",
    "    data[::2] = 1",
    "    nib.Nifti1Image(data, img.affine).to_filename(out)",
    sep = "\n"
  ), local = TRUE)
  made$half_mask(example_atlas(), mask)
  both <- extract_timeseries(example_bold(), c(atlas = example_atlas(), seeds = seeds),
                             labels = list(atlas = example_labels(), seeds = c("PCC", "mPFC")),
                             mask_img = c(atlas = mask), t_r = 2, radius = 6, detrend = TRUE)
  expect_warning(alone_atlas <- extract_timeseries(example_bold(), example_atlas(),
                                                   labels = example_labels(), mask_img = mask,
                                                   t_r = 2, radius = 6, detrend = TRUE),
                 class = "niimasker_warning_unused_option")
  alone_seeds <- extract_timeseries(example_bold(), seeds, labels = c("PCC", "mPFC"),
                                    t_r = 2, radius = 6, detrend = TRUE)
  expect_identical(without_info(both$atlas), without_info(alone_atlas))
  expect_identical(without_info(both$seeds), without_info(alone_seeds))
  expect_identical(names(regions(both$seeds)), c("PCC", "mPFC"))
  unmasked <- extract_timeseries(example_bold(), example_atlas(), labels = example_labels(),
                                 t_r = 2, detrend = TRUE)
  expect_false(identical(regions(both$atlas), regions(unmasked)))  # the mask matters
  # Each set's tibble carries its own record: its labels and mask as given.
  expect_identical(timeseries_info(both$atlas)$parameters$roi$mask_img, mask)
  expect_identical(timeseries_info(both$atlas)$parameters$roi$labels, example_labels())
  expect_null(timeseries_info(both$seeds)$parameters$roi$mask_img)
  expect_identical(timeseries_info(both$atlas)$sidecars[[1]]$Cleaning$mask_img, mask)
  expect_null(timeseries_info(both$seeds)$sidecars[[1]]$Cleaning$mask_img)
})

test_that("a labels or mask_img name that is no ROI set is a settings error naming it", {
  skip_if_no_core()
  seeds <- withr::local_tempfile(fileext = ".tsv")
  writeLines(c("x\ty\tz", "0\t0\t0"), seeds)
  err <- expect_error(
    extract_timeseries(example_bold(), c(atlas = example_atlas(), seeds = seeds),
                       mask_img = c(atlsa = example_atlas())),
    class = "niimasker_error_settings"
  )
  expect_match(conditionMessage(err), '"atlsa" (did you mean "atlas"?)', fixed = TRUE)
  expect_match(conditionMessage(err), "`roi_file`", fixed = TRUE)
  expect_match(conditionMessage(err), "named list or named character vector", fixed = TRUE)
})

test_that("the help pages document every declared parameter with an @param line", {
  skip_if_no_core()
  # the source's man/ from a source tree (test_local), the installed help otherwise
  root <- test_path("..", "..")
  rd <- if (dir.exists(file.path(root, "man"))) tools::Rd_db(dir = root) else tools::Rd_db("niimasker")
  documented <- function(page) {
    arguments <- Filter(function(x) identical(attr(x, "Rd_tag"), "\\arguments"), rd[[page]])[[1]]
    items <- Filter(function(x) identical(attr(x, "Rd_tag"), "\\item"), arguments)
    trimws(unlist(strsplit(vapply(items, function(x) paste(unlist(x[[1]]), collapse = ""), ""), ",")))
  }
  declared <- core_parameter_names()
  expect_setequal(setdiff(documented("extract_timeseries.Rd"), c("config", "progress", "...")), declared)
  expect_setequal(documented("extract_voxels.Rd"), names(formals(extract_voxels)))
})

write_bomb <- function(shape) {
  # A .nii.gz of ~100 bytes whose header claims `shape` float32 voxels.
  path <- withr::local_tempfile(fileext = ".nii.gz", .local_envir = parent.frame())
  code <- paste(
    "def write_bomb(path, shape):",
    "    import gzip, nibabel as nib, numpy as np",
    "    header = nib.Nifti1Header()",
    "    header.set_data_shape([int(n) for n in shape])",
    "    header.set_data_dtype(np.float32)",
    "    header.set_sform(np.eye(4), 1)",
    "    header['vox_offset'] = 352",
    "    with gzip.open(path, 'wb') as f:",
    "        f.write(header.binaryblock + bytes(4 + 64))",
    sep = "\n"
  )
  reticulate::py_run_string(code, local = TRUE)$write_bomb(path, as.list(shape))
  path
}

test_that("an atlas whose header claims more than max_memory is refused before reading", {
  skip_if_no_core()
  bomb <- write_bomb(c(1000, 1000, 1000))
  err <- expect_error(
    extract_timeseries(example_bold(), bomb, max_memory = "1GB"),
    class = "niimasker_error_budget"
  )
  expect_match(conditionMessage(err), basename(bomb), fixed = TRUE)
  expect_match(conditionMessage(err), "4.0 GB in memory, over the budget of 1.0 GB", fixed = TRUE)
  expect_match(conditionMessage(err), 'raise `max_memory` (e.g. max_memory = "64GB")', fixed = TRUE)
  expect_error(
    extract_voxels(example_bold(), mask_img = bomb, max_memory = 1e9),
    class = "niimasker_error_budget"
  )
  expect_error(extract_timeseries(example_bold(), example_atlas(), max_memory = TRUE),
               class = "niimasker_error_argument")
})

test_that("an input name too long for its outputs is refused before anything is written", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  long <- file.path(dir, paste0("sub-01_task-", strrep("x", 220), "_bold.nii.gz"))
  file.copy(example_bold(), long)
  out <- file.path(dir, "out")
  err <- expect_error(extract_timeseries(long, example_atlas(), output_dir = out),
                      class = "niimasker_error_output")
  expect_match(conditionMessage(err), "too long for its outputs", fixed = TRUE)
  expect_false(dir.exists(out))
})

test_that("labels that are NA or None say they name nothing", {
  skip_if_no_core()
  err <- expect_error(
    extract_timeseries(example_bold(), example_atlas(), labels = as.list(rep(NA, 12))),
    class = "niimasker_error"
  )
  expect_false(grepl("background", conditionMessage(err)))
})

test_that("roi_file = NULL is taken from config, never silently every voxel", {
  skip_if_no_core()
  expect_error(extract_timeseries(example_bold(), t_r = 2),
               class = "niimasker_error_settings", regexp = "extract_voxels")
  from_config <- extract_timeseries(example_bold(), t_r = 2,
                                    config = list(roi_file = example_atlas()))
  expect_identical(without_info(from_config),
                   without_info(extract_timeseries(example_bold(), example_atlas(), t_r = 2)))
})

test_that("timeseries_info() describes only the files and regions left after subsetting", {
  skip_if_no_core()
  files <- c(example_bold("01"), example_bold("02"))
  ts <- extract_timeseries(files, example_atlas(), labels = example_labels(), t_r = 2)
  one <- ts[ts$sub == "01", c("file", "sub", "volume", names(regions(ts))[1:2])]
  info <- timeseries_info(one)
  expect_identical(info$t_r$file, example_bold("01"))
  expect_named(info$sidecars, example_bold("01"))
  expect_identical(info$labels$name, names(regions(ts))[1:2])
  expect_identical(nrow(timeseries_info(ts)$t_r), 2L)
  expect_lt(length(utils::capture.output(utils::str(ts))), 40L)
})

test_that("results join BIDS tables in one line: participant_id, and no bare-number names", {
  skip_if_no_core()
  ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(), t_r = 2)
  expect_identical(unique(ts$participant_id), c("sub-01", "sub-02"))
  participants <- data.frame(participant_id = c("sub-01", "sub-02"), age = c(31, 27))
  joined <- merge(ts, participants, by = "participant_id")
  expect_identical(nrow(joined), nrow(ts))
  expect_identical(names(regions(ts)), paste0("region_", 1:12))
  expect_identical(timeseries_info(ts)$labels$name, paste0("region_", 1:12))
  expect_identical(timeseries_info(ts)$labels$index, 1:12)
  expect_true(all(make.names(names(ts)) == names(ts)))
})
