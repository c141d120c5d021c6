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

# Python objects built without converting arrays to R (reticulate 1.28 cannot
# convert numpy 2 arrays): the example GIFTI runs rewritten in other formats.
nibabel <- function() reticulate::import("nibabel", convert = FALSE)

gifti_to_mgz <- function(gifti, mgz) {
  nib <- nibabel()
  np <- reticulate::import("numpy", convert = FALSE)
  data <- np$asarray(nib$load(gifti)$agg_data())  # vertices x volumes
  frames <- np$expand_dims(np$expand_dims(data, 1L), 1L)
  nib$freesurfer$mghformat$MGHImage(frames, np$eye(4L))$to_filename(mgz)
}

labels_to_maps <- function(label_gii, shape_gii, keys) {
  nib <- nibabel()
  np <- reticulate::import("numpy", convert = FALSE)
  image <- nib$load(label_gii)
  values <- image$darrays[0L]$data
  arrays <- lapply(keys, function(k) {
    nib$gifti$GiftiDataArray(
      np$equal(values, k)$astype("float32"),
      intent = "NIFTI_INTENT_SHAPE", datatype = "NIFTI_TYPE_FLOAT32"
    )
  })
  nib$save(nib$gifti$GiftiImage(darrays = arrays, meta = image$meta), shape_gii)
}

test_that("a FreeSurfer lh./rh. .mgz pair is one run, equal to its GIFTI twin", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  mgz <- file.path(dir, c("lh.sub-01_task-rest_bold.mgz", "rh.sub-01_task-rest_bold.mgz"))
  gifti_to_mgz(example_surface("01", "left"), mgz[1])
  gifti_to_mgz(example_surface("01", "right"), mgz[2])
  atlas <- example_file("hemi-L_atlas-toy14_dseg.label.gii")
  ts <- extract_timeseries(mgz, atlas, t_r = 2)
  expect_identical(nrow(ts), 80L)
  expect_identical(unique(basename(ts$file)), basename(mgz[1]))
  gifti <- extract_timeseries(
    c(example_surface("01", "left"), example_surface("01", "right")), atlas
  )
  expect_equal(as.matrix(regions(ts)), as.matrix(regions(gifti)), tolerance = 1e-6)
})

test_that("one-hot surface maps fit each region's mean; a vertex mask is read", {
  skip_if_no_core()
  dir <- withr::local_tempdir()
  runs <- c(example_surface("01", "left"), example_surface("01", "right"))
  atlas <- example_file("hemi-L_atlas-toy14_dseg.label.gii")
  for (side in c("L", "R")) {
    labels_to_maps(
      example_file(paste0("hemi-", side, "_atlas-toy14_dseg.label.gii")),
      file.path(dir, paste0("hemi-", side, "_maps.shape.gii")),
      1:14
    )
  }
  maps <- extract_timeseries(runs, file.path(dir, "hemi-L_maps.shape.gii"))
  means <- extract_timeseries(runs, atlas)
  expect_identical(ncol(regions(maps)), 14L)
  expect_equal(unname(as.matrix(regions(maps))), unname(as.matrix(regions(means))),
               tolerance = 1e-5)
  # the atlas as its own mask: every labelled vertex is inside
  masked <- extract_timeseries(runs, atlas, mask_img = atlas)
  expect_equal(as.matrix(regions(masked)), as.matrix(regions(means)))
})
