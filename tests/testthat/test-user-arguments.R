# Arguments as R users write them: named vectors from sapply(), `~` paths.
# (Issue 21, items 1 and 2.)

test_that("named character vectors are read by their values, not their names", {
  skip_if_no_core()
  subjects <- c("01", "02")
  files <- sapply(subjects, example_bold)
  confounds <- sapply(subjects, example_confounds)
  expect_named(files, subjects)
  ts <- extract_timeseries(files, example_atlas(), regressor_files = confounds,
                           regressors = c(motion = "trans_x"), t_r = 2)
  expect_setequal(unique(ts$sub), subjects)
  expect_identical(timeseries_info(ts)$sidecars[[1]]$ConfoundColumns, "trans_x")
  vox <- extract_voxels(c(a = example_bold()), mask_img = example_file(
    "fmriprep", "sub-01", "func", "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz"))
  expect_identical(names(vox$signals), unname(example_bold()))
})

test_that("`~` in input, ROI, labels, confounds, config and glob paths is the home folder", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  file.copy(c(example_bold("01"), example_bold("02")), dir)
  bold <- tilde_path(file.path(dir, basename(example_bold())))
  ts <- extract_timeseries(bold, tilde_path(example_atlas()), labels = tilde_path(example_labels()),
                           regressor_files = tilde_path(example_confounds()),
                           regressors = "trans_x", t_r = 2)
  expect_identical(timeseries_info(ts)$labels$name[[1]], names(regions(ts))[[1]])
  expect_identical(nrow(ts), 80L)
  pattern <- tilde_path(file.path(dir, "sub-*_bold.nii.gz"))
  expect_setequal(unique(extract_timeseries(pattern, example_atlas(), t_r = 2)$sub), c("01", "02"))
  config <- file.path(dir, "config.json")
  writeLines(sprintf('{"roi_file": "%s", "t_r": 2}', example_atlas()), config)
  expect_identical(nrow(extract_timeseries(bold, config = tilde_path(config))), 80L)
  listed <- extract_timeseries(config = list(input_files = bold, roi_file = tilde_path(example_atlas()),
                                             t_r = 2))
  expect_identical(nrow(listed), 80L)
})

test_that("`~` output folders and written maps land in the home folder, not in ./~", {
  skip_if_no_core()
  work <- withr::local_tempdir()
  out <- withr::local_tempdir()
  withr::local_dir(work)
  ts <- extract_timeseries(example_bold(), example_atlas(), t_r = 2,
                           output_dir = tilde_path(file.path(out, "ts")), report = FALSE)
  expect_true(length(list.files(file.path(out, "ts"), pattern = "_timeseries[.]tsv$")) == 1L)
  mask <- example_file("fmriprep", "sub-01", "func",
                       "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
  vox <- extract_voxels(example_bold(), mask_img = tilde_path(mask))
  written <- voxels_to_nifti(apply(vox$signals[[1]], 2, stats::sd), vox,
                             tilde_path(file.path(out, "sd.nii.gz")))
  expect_true(file.exists(file.path(out, "sd.nii.gz")))
  expect_false(file.exists(file.path(work, "~")))
})

test_that("extract_voxels() on a 3D image (a map voxels_to_nifti() wrote) gives one row", {
  skip_if_no_core()
  mask <- example_file("fmriprep", "sub-01", "func",
                       "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
  vox <- extract_voxels(example_bold(), mask_img = mask)
  sd_map <- apply(vox$signals[[1]], 2, stats::sd)
  file <- voxels_to_nifti(sd_map, vox, withr::local_tempfile(fileext = ".nii.gz"))
  back <- extract_voxels(file, mask_img = mask)
  expect_identical(dim(back$signals[[1]]), c(1L, length(sd_map)))
  expect_equal(back$signals[[1]][1, ], sd_map, tolerance = 1e-6)
})

test_that("a misspelled argument is an argument error naming the closest one", {
  # No Python needed: the arguments are checked before the core is called.
  err <- expect_error(extract_timeseries("a.nii.gz", "b.nii.gz", detrnd = TRUE),
                      class = "niimasker_error_argument")
  expect_match(conditionMessage(err), "did you mean `detrend`?", fixed = TRUE)
  err <- expect_error(extract_voxels("a.nii.gz", hig_pass = 0.01, zzzzzz = 1),
                      class = "niimasker_error_argument")
  expect_match(conditionMessage(err), "did you mean `high_pass`?", fixed = TRUE)
  expect_match(conditionMessage(err), "`zzzzzz` is not an argument.", fixed = TRUE)
  expect_error(do.call(extract_voxels, as.list(seq_len(length(formals(extract_voxels))))),
               class = "niimasker_error_argument")
})

test_that("n_jobs = 0 is refused, naming the argument and its choices", {
  skip_if_no_core()
  err <- expect_error(extract_timeseries(example_bold(), example_atlas(), t_r = 2, n_jobs = 0),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), "`n_jobs` must be a whole number >= 1, or -1", fixed = TRUE)
})

test_that("voxels_to_nifti() to a file without a NIfTI extension names `file`", {
  skip_if_no_core()
  mask <- example_file("fmriprep", "sub-01", "func",
                       "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
  vox <- extract_voxels(example_bold(), mask_img = mask)
  dir <- withr::local_tempdir()
  err <- expect_error(voxels_to_nifti(vox$signals[[1]][1, ], vox, file.path(dir, "rmap")),
                      class = "niimasker_error_settings")
  expect_match(conditionMessage(err), "`file` is", fixed = TRUE)
  expect_no_match(conditionMessage(err), "niimasker-tmp", fixed = TRUE)
  expect_length(list.files(dir, all.files = TRUE, no.. = TRUE), 0L)
})

test_that("unused options and files given twice warn with class niimasker_warning_unused_option", {
  skip_if_no_core()
  expect_warning(extract_timeseries(example_bold(), example_atlas(), t_r = 2, radius = 5),
                 "radius", class = "niimasker_warning_unused_option")
  expect_warning(extract_timeseries(example_bold(), example_atlas(), t_r = 2, mask_strategy = "epi"),
                 "mask_strategy", class = "niimasker_warning_unused_option")
  expect_warning(ts <- extract_timeseries(c(example_bold(), example_bold()), example_atlas(), t_r = 2),
                 "more than once", class = "niimasker_warning_unused_option")
  expect_identical(nrow(ts), 80L)
})

test_that("verbose = TRUE says one line per image, as R messages", {
  skip_if_no_core()
  expect_message(extract_timeseries(example_bold(), example_atlas(), t_r = 2, verbose = TRUE),
                 "done: .*sub-01_task-rest", class = "niimasker_message_image")
  expect_silent(extract_timeseries(example_bold(), example_atlas(), t_r = 2))
  expect_message(extract_voxels(example_bold(), config = list(verbose = TRUE)), "done: ")
})
