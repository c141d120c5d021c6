# Surface runs: a CIFTI dense timeseries with a CIFTI atlas, and a GIFTI
# hemisphere pair with a GIFTI atlas pair (the example data in inst/extdata).

example_surface <- function(sub, kind) {
  name <- switch(kind,
    cifti = "_task-rest_space-fsLR_den-toy_bold.dtseries.nii",
    left = "_task-rest_hemi-L_space-toy_bold.func.gii",
    right = "_task-rest_hemi-R_space-toy_bold.func.gii"
  )
  example_file("fmriprep", paste0("sub-", sub), "func", paste0("sub-", sub, name))
}

networks <- paste0("7Networks_", rep(c("LH", "RH"), each = 7), "_",
                   c("Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default"))

test_that("a CIFTI run gives one column per parcel of a .dlabel.nii, named from its table", {
  skip_if_no_core()
  ts <- extract_timeseries(
    c(example_surface("01", "cifti"), example_surface("02", "cifti")),
    example_file("atlas-toy14_dseg.dlabel.nii"),
    regressor_files = c(example_confounds("01"), example_confounds("02")),
    regressors = "Params6", detrend = TRUE, standardize = TRUE
  )
  expect_s3_class(ts, "tbl_df")
  expect_identical(names(ts), c("file", "sub", "task", "space", "den", "volume", networks))
  expect_identical(nrow(ts), 160L)
  expect_equal(attr(ts, "niimasker")$t_r$t_r, c(2, 2))
  expect_equal(mean(ts[["7Networks_LH_Vis"]][ts$sub == "01"]), 0, tolerance = 1e-6)
})

test_that("two GIFTI hemispheres are one run, the same as its CIFTI twin", {
  skip_if_no_core()
  gifti <- extract_timeseries(
    c(example_surface("01", "left"), example_surface("01", "right")),
    example_file("hemi-L_atlas-toy14_dseg.label.gii")
  )
  expect_identical(names(gifti), c("file", "sub", "task", "space", "volume", networks))
  expect_identical(nrow(gifti), 80L)  # one run, not one per hemisphere
  expect_false("hemi" %in% names(gifti))
  cifti <- extract_timeseries(
    example_surface("01", "cifti"), example_file("atlas-toy14_dseg.dlabel.nii")
  )
  # the CIFTI run leaves the medial wall out; its atlas labels none of it
  expect_equal(as.matrix(regions(gifti)), as.matrix(regions(cifti)), tolerance = 1e-6)
})

test_that("a volume atlas on a surface run is an R error naming both", {
  skip_if_no_core()
  expect_error(
    extract_timeseries(example_surface("01", "cifti"), example_atlas()),
    class = "niimasker_error",
    regexp = "grayordinates"
  )
})
