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

test_that("the installed package has its vignette, run with the Python core", {
  # make setup renders it with the core and installs it (issue 21, item 10):
  # vignette("niimasker") used to find nothing after the documented set-up.
  skip_if_no_core()
  skip_on_cran()
  html <- file.path(.libPaths(), "niimasker", "doc", "niimasker.html")
  html <- html[file.exists(html)]
  expect_gte(length(html), 1L)
  expect_true(any(grepl("A tibble", readLines(html[[1]], warn = FALSE), fixed = TRUE)))
})
