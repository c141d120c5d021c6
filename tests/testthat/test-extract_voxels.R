example_mask <- function(sub = "01") {
  example_file("fmriprep", paste0("sub-", sub), "func",
               paste0("sub-", sub, "_task-rest_space-MNI305_desc-brain_mask.nii.gz"))
}

test_that("extract_voxels() returns the core NiftiMasker's signals, mask and coordinates", {
  skip_if_no_core()
  vox <- extract_voxels(example_bold("01"), mask_img = example_mask("01"), detrend = TRUE,
                        standardize = "zscore_sample", t_r = 2)
  expect_s3_class(vox, "niimasker_voxels")
  signals <- vox$signals[[1]]
  expected <- reticulate::py_eval(paste(
    "lambda bold, mask: [[float(v) for v in col] for col in",
    "__import__('niimasker_core').NiftiMasker(mask_img=mask, detrend=True,",
    "standardize='zscore_sample', t_r=2.0).fit_transform(bold).T]"
  ))(example_bold("01"), example_mask("01"))
  expect_equal(dim(signals), c(length(expected[[1]]), length(expected)))
  expect_equal(signals[, 1], expected[[1]], tolerance = 1e-6)
  expect_equal(signals[, ncol(signals)], expected[[length(expected)]], tolerance = 1e-6)
  expect_true(is.logical(vox$mask))
  expect_equal(length(dim(vox$mask)), 3L)
  expect_equal(sum(vox$mask), ncol(signals))
  expect_equal(nrow(vox$voxels), ncol(signals))
  expect_named(vox$voxels, c("i", "j", "k", "x", "y", "z"))
  first <- unlist(vox$voxels[1, c("i", "j", "k")])
  expect_true(vox$mask[first[[1]], first[[2]], first[[3]]])
  expect_equal(vox$voxels$x[[1]], sum(vox$affine[1, ] * c(first - 1, 1)))
  expect_equal(vox$volumes[[1]], seq_len(nrow(signals)))
  expect_output(print(vox), "niimasker_voxels")
})

test_that("voxels_to_nifti() writes a 3D map and a 4D image in the mask's space", {
  skip_if_no_core()
  vox <- extract_voxels(example_bold("01"), mask_img = example_mask("01"))
  map <- apply(vox$signals[[1]], 2, stats::sd)
  file <- withr::local_tempfile(fileext = ".nii.gz")
  expect_identical(voxels_to_nifti(map, vox, file), file)
  back <- reticulate::py_eval(paste(
    "lambda f, mask: [float(v) for v in __import__('nibabel').load(f).get_fdata()",
    "[__import__('nibabel').load(mask).get_fdata() > 0]]"
  ))(file, example_mask("01"))
  expect_equal(unlist(back), map, tolerance = 1e-6)
  file4d <- withr::local_tempfile(fileext = ".nii.gz")
  voxels_to_nifti(vox$signals[[1]], vox, file4d)
  shape <- reticulate::py_eval("lambda f: list(__import__('nibabel').load(f).shape)")(file4d)
  expect_equal(unlist(shape), c(dim(vox$mask), nrow(vox$signals[[1]])))
  expect_error(voxels_to_nifti(map[-1], vox, file), class = "niimasker_error")
  expect_error(voxels_to_nifti(map, list(), file), class = "niimasker_error_argument")
})

test_that("extract_voxels() takes core parameters only, with the core's defaults, checked as extract_timeseries()", {
  skip_if_no_core()
  sig <- core_signature("extract_timeseries")
  r_formals <- formals(extract_voxels)
  r_formals <- r_formals[setdiff(names(r_formals), "...")]
  expect_true(all(names(r_formals) %in% names(sig)))
  for (name in names(r_formals)) {
    expect_equal(eval(r_formals[[name]]), sig[[name]], label = paste("default of", name))
  }
  # one checker table: every argument goes through parameter_checks
  expect_true(all(names(r_formals) %in% names(parameter_checks)))
  expect_error(extract_voxels(example_bold("01"), detrend = NA), class = "niimasker_error_argument")
  expect_error(extract_voxels(example_bold("01"), t_r = "2"), class = "niimasker_error_argument")
})
