test_that("install_niimasker() checks its arguments before doing anything", {
  expect_error(install_niimasker(envname = c("a", "b")), class = "niimasker_error_argument")
  expect_error(install_niimasker(python = NA_character_), class = "niimasker_error_argument")
  expect_error(install_niimasker(force = "yes"), class = "niimasker_error_argument")
})

test_that("the requirements file install_niimasker() reads is shipped", {
  reqs <- readLines(file.path(core_path(), "requirements.txt"))
  expect_true(any(grepl("^nilearn", reqs)))
  expect_true(any(grepl("^nibabel", reqs)))
})

test_that("niimasker_python_available() is TRUE when the core imports", {
  skip_if_no_core()
  expect_true(niimasker_python_available())
  # Once Python runs, discovery leaves the interpreter alone.
  expect_identical(configure_python(), "initialized")
})
