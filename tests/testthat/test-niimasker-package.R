test_that("loading the package does not start Python", {
  # In a fresh R process with the installed package (make setup-r, R CMD check).
  rscript <- file.path(R.home("bin"), "Rscript")
  code <- paste(
    "if (!requireNamespace('niimasker', quietly = TRUE)) cat('NOT INSTALLED') else",
    "cat(reticulate::py_available(initialize = FALSE))"
  )
  out <- suppressWarnings(system2(rscript, c("-e", shQuote(code)), stdout = TRUE, stderr = FALSE))
  out <- utils::tail(out, 1L)
  skip_if(identical(out, "NOT INSTALLED"), "niimasker is not installed for a fresh R process")
  expect_identical(out, "FALSE")
})

test_that("the core is a delay-loaded module, imported on first use", {
  skip_if_no_core()
  expect_s3_class(core, "python.builtin.module")
  expect_true(reticulate::py_has_attr(core, "extract_timeseries"))
  expect_match(reticulate::py_to_r(core$`__file__`), "niimasker_core", fixed = TRUE)
})
