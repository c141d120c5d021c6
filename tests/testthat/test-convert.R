# Pure R: these run without Python.

test_that("raw_to_matrix() rebuilds a column-major float64 block", {
  m <- matrix(c(1.5, -2, NaN, 4, 5, 6), nrow = 3)
  raw <- writeBin(as.double(m), raw(), size = 8L, endian = "little")
  expect_identical(raw_to_matrix(raw, list(3L, 2L)), m)
  expect_error(raw_to_matrix(raw[1:16], c(3L, 2L)), class = "niimasker_error_python")
})

test_that("timeseries_tibble() gives file, 1-based volume and one column per region", {
  a <- matrix(as.double(1:6), nrow = 3)
  b <- matrix(as.double(7:10), nrow = 2)
  result <- list(
    timeseries = list(
      fake_item("a.nii.gz", a, c("left", "right"), volumes = c(2L, 3L, 5L)),
      fake_item("b.nii.gz", b, c("left", "right"), t_r = 1.5, empty = "right")
    ),
    failures = list(), parameters = list(roi = list(regions = list(
      list(index = 1L, name = "left"), list(index = 2L, name = "right")
    ))),
    output_dir = NULL
  )
  ts <- timeseries_tibble(result)
  expect_s3_class(ts, "tbl_df")
  expect_identical(names(ts), c("file", "volume", "left", "right"))
  expect_identical(ts$file, rep(c("a.nii.gz", "b.nii.gz"), c(3, 2)))
  expect_identical(ts$volume, c(3L, 4L, 6L, 1L, 2L))
  expect_identical(ts$left, c(1, 2, 3, 7, 8))
  expect_identical(ts$right, c(4, 5, 6, 9, 10))
  info <- timeseries_info(ts)
  expect_identical(info$labels, tibble::tibble(index = 1:2, name = c("left", "right")))
  expect_identical(info$t_r$t_r, c(2, 1.5))
  expect_identical(info$empty_regions, tibble::tibble(file = "b.nii.gz", region = "right"))
  expect_identical(nrow(info$failures), 0L)
})

test_that("timeseries_tibble() keeps column names as given and aligns differing columns", {
  result <- list(
    timeseries = list(
      fake_item("a.nii.gz", matrix(1, 1, 2), c("1 left", "x")),
      fake_item("b.nii.gz", matrix(2, 1, 1), c("x"))
    ),
    failures = list(list(file = "c.nii.gz", error_type = "CleaningError", message = "too short")),
    parameters = list(), output_dir = NULL
  )
  ts <- timeseries_tibble(result)
  expect_identical(names(ts), c("file", "volume", "1 left", "x"))
  expect_identical(ts[["1 left"]], c(1, NA))
  expect_identical(ts$x, c(1, 2))
  expect_identical(timeseries_info(ts)$failures$error_type, "CleaningError")
})

test_that("timeseries_info() needs an extraction result", {
  expect_error(timeseries_info(tibble::tibble(x = 1)), class = "niimasker_error_argument")
})

test_that("atlas_result() gives the image path and a labels tibble", {
  res <- atlas_result(list(
    query = "nilearn:yeo:thick_7", atlas = "yeo", image = "/tmp/yeo.nii.gz", kind = "labels",
    labels = list(index = list(1L, 2L), name = list("Visual", "Somatomotor"))
  ))
  expect_identical(res$image, "/tmp/yeo.nii.gz")
  expect_identical(res$labels, tibble::tibble(index = 1:2, name = c("Visual", "Somatomotor")))
})

test_that("as_py_list() keeps length-1 vectors as lists", {
  expect_identical(as_py_list("a"), list("a"))
  expect_null(as_py_list(NULL))
})
