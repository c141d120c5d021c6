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
  expect_identical(names(ts), c("file", "sub", "participant_id", "task", "space", "den", "volume",
                                networks))
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
  expect_identical(names(gifti), c("file", "sub", "participant_id", "task", "space", "volume",
                                   networks))
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

test_that("extract_voxels() on a CIFTI run gives every grayordinate, structure by structure", {
  skip_if_no_core()
  run <- example_surface("01", "cifti")
  vox <- extract_voxels(run, detrend = TRUE, standardize = "zscore_sample", t_r = 2)
  expect_s3_class(vox, "niimasker_voxels")
  expect_null(vox$mask)
  expect_identical(vox$template, run)
  expect_named(vox$voxels, c("structure", "vertex", "i", "j", "k", "x", "y", "z"))
  signals <- vox$signals[[1]]
  expect_identical(ncol(signals), nrow(vox$voxels))
  expect_identical(unique(vox$voxels$structure), c("CORTEX_LEFT", "CORTEX_RIGHT", "THALAMUS_LEFT"))
  on_surface <- !is.na(vox$voxels$vertex)
  expect_true(all(is.na(vox$voxels$i[on_surface])))
  expect_false(anyNA(vox$voxels[!on_surface, c("i", "j", "k", "x", "y", "z")]))
  # the same grayordinates as nibabel reads them (0-based there)
  models <- reticulate::py_eval(paste(
    "lambda f: (lambda a: ([int(v) for v in a.vertex], [[int(v) for v in r] for r in a.voxel]))",
    "(__import__('nibabel').load(f).header.get_axis(1))"
  ))(run)
  expect_identical(vox$voxels$vertex[on_surface], unlist(models[[1]])[on_surface] + 1L)
  first <- which(!on_surface)[[1]]
  expect_identical(unlist(vox$voxels[first, c("i", "j", "k")]),
                   unlist(models[[2]][[first]]) + 1L, ignore_attr = TRUE)
  expect_equal(vox$voxels$x[[first]], sum(vox$affine[1, ] * c(unlist(models[[2]][[first]]), 1)))
  # nilearn's signal.clean on the same matrix
  expected <- reticulate::py_eval(paste(
    "lambda f: [[float(v) for v in col] for col in __import__('nilearn.signal').signal.clean(",
    "__import__('nibabel').load(f).get_fdata(), detrend=True, standardize='zscore_sample',",
    "t_r=2.0).T]"
  ))(run)
  expect_equal(signals[, 1], unlist(expected[[1]]), tolerance = 1e-5)
  expect_equal(signals[, ncol(signals)], unlist(expected[[length(expected)]]), tolerance = 1e-5)
  expect_output(print(vox), "grayordinates")
})

test_that("voxels_to_cifti() writes maps and timeseries back, as wb_command reads them", {
  skip_if_no_core()
  vox <- extract_voxels(example_surface("01", "cifti"))
  maps <- cbind(mean = colMeans(vox$signals[[1]]), sd = apply(vox$signals[[1]], 2, stats::sd))
  dscalar <- withr::local_tempfile(fileext = ".dscalar.nii")
  expect_identical(voxels_to_cifti(maps, vox, dscalar), dscalar)
  back <- reticulate::py_eval(paste(
    "lambda f: (lambda img: ([[float(v) for v in row] for row in img.get_fdata()],",
    "[str(n) for n in img.header.get_axis(0).name]))(__import__('nibabel').load(f))"
  ))(dscalar)
  expect_equal(unlist(back[[1]][[2]]), unname(maps[, "sd"]), tolerance = 1e-6)
  expect_identical(unlist(back[[2]]), c("mean", "sd"))
  dtseries <- withr::local_tempfile(fileext = ".dtseries.nii")
  voxels_to_cifti(vox$signals[[1]], vox$template, dtseries)
  wb <- Sys.which("wb_command")
  expect_true(nzchar(wb))
  for (path in c(dscalar, dtseries)) {
    info <- system2(wb, c("-file-information", path), stdout = TRUE)
    expect_null(attr(info, "status"))
    expect_true(any(grepl("ThalamusLeft", info)))
  }
  expect_true(any(grepl("Step:\\s+2.000", system2(wb, c("-file-information", dtseries), stdout = TRUE))))
  expect_error(voxels_to_cifti(maps[-1, ], vox, dscalar), class = "niimasker_error_settings")
  mask <- example_file("fmriprep", "sub-01", "func",
                       "sub-01_task-rest_space-MNI305_desc-brain_mask.nii.gz")
  volume <- extract_voxels(example_bold("01"), mask_img = mask)
  expect_error(voxels_to_cifti(1, volume, dscalar), class = "niimasker_error_argument")
  expect_error(voxels_to_nifti(maps[, 1], vox, tempfile()), class = "niimasker_error_argument")
})

test_that("extract_voxels() on a GIFTI pair gives every vertex of both hemispheres", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  vox <- extract_voxels(c(example_surface("01", "left"), example_surface("01", "right")),
                        output_dir = out)
  expect_identical(unique(vox$voxels$structure), c("CORTEX_LEFT", "CORTEX_RIGHT"))
  expect_identical(vox$voxels$vertex[1:3], 1:3)
  expect_true(all(file.exists(file.path(out, c(
    "sub-01_task-rest_hemi-L_space-toy_bold_timeseries.func.gii",
    "sub-01_task-rest_hemi-R_space-toy_bold_timeseries.func.gii"
  )))))
  map <- withr::local_tempfile(fileext = ".dscalar.nii")
  voxels_to_cifti(colMeans(vox$signals[[1]]), vox, map)
  expect_true(file.exists(map))
})

test_that("surf_mesh reaches the report: a mesh it cannot read is a report warning", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  expect_warning(
    extract_timeseries(example_surface("01", "cifti"),
                       example_file("atlas-toy14_dseg.dlabel.nii"), output_dir = out,
                       surf_mesh = file.path(out, "missing_hemi-L.surf.gii")),
    class = "niimasker_warning_report"
  )
  report <- paste(readLines(file.path(out, "report.html")), collapse = "\n")
  expect_match(report, "No atlas picture: &#x27;surf_mesh&#x27;", fixed = TRUE)
})
