# Messages in one idiom: R's (backticked argument names, R literals), with a
# hint where R users stumble (issue 21, item 6).

test_that("core errors name arguments with backticks and values as R literals", {
  skip_if_no_core()
  err <- expect_error(extract_timeseries(example_bold(), "nope.nii.gz", t_r = 2),
                      class = "niimasker_error_image_not_found")
  expect_match(conditionMessage(err), "`roi_file` not found", fixed = TRUE)
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(), regressors = "Params6",
                                         t_r = 2), class = "niimasker_error_settings")
  expect_match(conditionMessage(err), '`regressors` is c("Params6")', fixed = TRUE)
  expect_match(conditionMessage(err), "Give `regressor_files` (e.g. \"fmriprep/", fixed = TRUE)
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(), t_r = Inf),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), "not Inf.", fixed = TRUE)
})

test_that("the failed-files warning has no Python class names; timeseries_info() keeps them", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  file.copy(example_bold("01"), dir)
  broken <- file.path(dir, "sub-02_task-rest_space-MNI305_desc-preproc_bold.nii.gz")
  writeLines("not an image", broken)
  files <- c(file.path(dir, basename(example_bold("01"))), broken)
  w <- expect_warning(ts <- extract_timeseries(files, example_atlas(), t_r = 2),
                      class = "niimasker_warning_failed_files")
  expect_no_match(conditionMessage(w), "[A-Za-z]+Error:")
  expect_match(conditionMessage(w), "sub-02_task-rest", fixed = TRUE)
  failures <- timeseries_info(ts)$failures
  expect_identical(nrow(failures), 1L)
  expect_match(failures$error_type, "Error$")
})

test_that("confounds: a numeric matrix is taken, and empty or text tables are explained", {
  skip_if_no_core()
  table <- utils::read.delim(example_confounds())
  motion <- as.matrix(table[c("trans_x", "trans_y")])
  from_matrix <- extract_timeseries(example_bold(), example_atlas(), regressor_files = motion, t_r = 2)
  from_frame <- extract_timeseries(example_bold(), example_atlas(),
                                   regressor_files = table[c("trans_x", "trans_y")], t_r = 2)
  expect_equal(regions(from_matrix), regions(from_frame), ignore_attr = TRUE)
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(),
                                         regressor_files = table[0], t_r = 2),
                      class = "niimasker_error_argument")
  expect_match(conditionMessage(err), "has no columns", fixed = TRUE)
  expect_no_match(conditionMessage(err), "column .", fixed = TRUE)
  as_text <- data.frame(trans_x = c("n/a", table$trans_x[-1]))
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(),
                                         regressor_files = as_text, t_r = 2),
                      class = "niimasker_error_argument")
  expect_match(conditionMessage(err), 'na.strings = "n/a"', fixed = TRUE)
})

test_that("a truncated file's message counts volumes from 1, as R does", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  raw <- readBin(example_bold(), "raw", file.size(example_bold()))
  cut <- file.path(dir, "sub-01_task-rest_bold.nii.gz")
  writeBin(raw[seq_len(floor(length(raw) * 0.6))], cut)
  err <- expect_error(extract_timeseries(cut, example_atlas(), t_r = 2), class = "niimasker_error")
  expect_match(conditionMessage(err), "ends early", fixed = TRUE)
  expect_no_match(conditionMessage(err), "0-based", fixed = TRUE)
  complete <- as.integer(sub(".*ends early: ([0-9]+) of.*", "\\1", conditionMessage(err)))
  expect_match(conditionMessage(err), paste0("volume ", complete + 1L, " is cut short"), fixed = TRUE)
})

test_that("a warning nilearn gives once per image names the image", {
  skip_if_no_core()
  files <- c(example_bold("01"), example_bold("02"))
  messages <- character()
  withCallingHandlers(
    extract_timeseries(files, example_atlas(), low_pass = 0.3),  # t_r 2 from the sidecars
    niimasker_warning_python = function(w) {
      messages <<- c(messages, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  nyquist <- grep("Nyquist", messages, value = TRUE)
  expect_length(nyquist, 2L)
  expect_match(nyquist[[1]], "sub-01_task-rest", fixed = TRUE)
  expect_match(nyquist[[2]], "sub-02_task-rest", fixed = TRUE)
})

test_that("a warning given twice for one image (signal and confounds) is said once, naming it", {
  skip_if_no_core()
  files <- c(example_bold("01"), example_bold("02"))
  messages <- character()
  withCallingHandlers(
    extract_timeseries(files, example_atlas(), low_pass = 0.3,
                       regressor_files = c(example_confounds("01"), example_confounds("02")),
                       regressors = "trans_x"),
    warning = function(w) {
      messages <<- c(messages, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  nyquist <- grep("Nyquist", messages, value = TRUE)
  expect_length(nyquist, 2L)
  expect_match(nyquist[[1]], "sub-01_task-rest", fixed = TRUE)
  expect_match(nyquist[[2]], "sub-02_task-rest", fixed = TRUE)
})

test_that("one confounds data frame for two images says so, not BIDS naming advice", {
  # R-side: no Python needed.
  frame <- data.frame(trans_x = stats::rnorm(80))
  err <- expect_error(extract_timeseries(c("a.nii.gz", "b.nii.gz"), "atlas.nii.gz",
                                         regressor_files = frame, t_r = 2),
                      class = "niimasker_error_argument")
  expect_match(conditionMessage(err), "1 data frame for 2 images", fixed = TRUE)
  expect_no_match(conditionMessage(err), "BIDS", fixed = TRUE)
})

# The core's plain messages (not templates) reach R in R's idiom too (issue 21, item 6):
# one test per kind of Python wording.

test_that("a plain core message names arguments in backticks and a value as an R argument", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  no_tr <- file.path(dir, "sub-01_task-rest_bold.nii.gz")
  nib <- reticulate::import("nibabel", convert = FALSE)
  img <- nib$load(example_bold())
  copy <- nib$Nifti1Image(img$get_fdata(), img$affine)
  copy$header$set_xyzt_units("mm") # no time unit: no TR in the header, and no sidecar
  copy$to_filename(no_tr)
  err <- expect_error(extract_timeseries(no_tr, example_atlas(), high_pass = 0.01),
                      class = "niimasker_error_missing_repetition_time")
  msg <- conditionMessage(err)
  expect_match(msg, "`high_pass`/`low_pass` filtering", fixed = TRUE)
  expect_match(msg, "Give `t_r` in seconds, e.g. `t_r = 2`.", fixed = TRUE)
  expect_no_match(msg, "'t_r'|--t_r")
})

test_that("a quoted parameter name in a ROI file's message is backticked", {
  skip_if_no_core()
  seeds <- withr::local_tempfile(fileext = ".tsv")
  utils::write.table(data.frame(x = 0, y = 0, z = 0, radius = -1), seeds,
                     sep = "\t", row.names = FALSE, quote = FALSE)
  err <- expect_error(extract_timeseries(example_bold(), seeds, t_r = 2),
                      class = "niimasker_error_roi")
  expect_match(conditionMessage(err), "has a negative `radius`.", fixed = TRUE)
})

test_that("a list of names is an R vector, c(\"a\"), not Python's ['a']", {
  skip_if_no_core()
  err <- expect_error(
    extract_timeseries(example_bold(), example_atlas(), regressor_files = example_confounds(),
                       regressors = c("trans_x", "not_a_column"), t_r = 2),
    class = "niimasker_error_confounds"
  )
  expect_match(conditionMessage(err), 'has no column(s) c("not_a_column").', fixed = TRUE)
})

test_that("what an argument must be is said with R's literals", {
  skip_if_no_core()
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(), discard_scans = "x"),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), 'a whole number >= 0 or "auto", not "x"', fixed = TRUE)
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(), max_memory = "x"),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), 'a size such as "8GB", "500MB"', fixed = TRUE)
  err <- expect_error(extract_voxels(example_bold(), mask_args = "x"),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), "list(opening = 1)", fixed = TRUE)
})

test_that("the first non-finite volume is counted from 1, as R does", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  nan_file <- file.path(dir, "sub-01_task-rest_bold.nii.gz")
  nib <- reticulate::import("nibabel", convert = FALSE)
  np <- reticulate::import("numpy", convert = FALSE)
  img <- nib$load(example_bold())
  data <- img$get_fdata()
  reticulate::py_set_item(data, reticulate::tuple(8L, 10L, 8L, 5L), np$nan) # 0-based volume 5
  nib$Nifti1Image(data, img$affine, img$header)$to_filename(nan_file)
  err <- expect_error(extract_timeseries(nan_file, example_atlas(), t_r = 2),
                      class = "niimasker_error_input_file")
  expect_match(conditionMessage(err), "(first in volume 6)", fixed = TRUE)
  expect_no_match(conditionMessage(err), "0-based", fixed = TRUE)
  expect_match(conditionMessage(err), "`mask_img`", fixed = TRUE)
})
