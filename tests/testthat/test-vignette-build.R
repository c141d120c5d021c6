# The vignette is built with the Python core or not at all (issue 21, item 10):
# a plain `R CMD build .` without RETICULATE_PYTHON used to ship a page whose
# code had not run.

fake_tree <- function(package = "niimasker", venv = TRUE) {
  root <- withr::local_tempdir(.local_envir = parent.frame())
  writeLines(c(paste("Package:", package), "Version: 0.1.0"), file.path(root, "DESCRIPTION"))
  dir.create(file.path(root, "vignettes"))
  if (venv) {
    dir.create(file.path(root, ".venv", "bin"), recursive = TRUE)
    file.create(file.path(root, ".venv", "bin", "python"))
  }
  root
}

test_that("the source tree's .venv is found from its vignettes folder", {
  root <- fake_tree()
  expect_identical(
    normalizePath(source_tree_python(file.path(root, "vignettes"))),
    normalizePath(file.path(root, ".venv", "bin", "python"))
  )
  expect_null(source_tree_python(file.path(fake_tree(venv = FALSE), "vignettes")))
  # another package's tree is not ours, whatever it holds
  expect_null(source_tree_python(file.path(fake_tree(package = "other"), "vignettes")))
})

test_that("with the core running, the vignette's set-up uses it", {
  skip_if_no_core()
  expect_identical(use_build_python(), current_python())
})

test_that("a build without RETICULATE_PYTHON uses the source tree's .venv", {
  skip_if_no_core()
  skip_on_cran()
  venv <- test_path("..", "..", ".venv")
  if (!file.exists(file.path(venv, "bin", "python"))) skip("no .venv beside the tests")
  root <- fake_tree(venv = FALSE)
  file.symlink(normalizePath(venv), file.path(root, ".venv"))
  script <- withr::local_tempfile(fileext = ".R")
  writeLines("cat(niimasker:::use_build_python())", script)
  withr::local_envvar(RETICULATE_PYTHON = NA, VIRTUAL_ENV = NA, WORKON_HOME = withr::local_tempdir())
  used <- withr::with_dir(file.path(root, "vignettes"), system2(
    file.path(R.home("bin"), "Rscript"), shQuote(script), stdout = TRUE, stderr = TRUE
  ))
  expect_null(attr(used, "status"))
  # reticulate names it through the folder the fake tree's .venv links to
  expect_identical(tail(used, 1), file.path(normalizePath(venv), "bin", "python"))
})

test_that("R CMD build without any Python core fails loudly instead of shipping an empty vignette", {
  skip_on_cran()
  source <- test_path("..", "..")
  if (!file.exists(file.path(source, "DESCRIPTION"))) skip("not run from the source tree")
  copy <- file.path(withr::local_tempdir(), "niimasker")
  dir.create(copy)
  for (part in c("DESCRIPTION", "NAMESPACE", ".Rbuildignore", "R", "man", "inst", "vignettes")) {
    file.copy(file.path(source, part), copy, recursive = TRUE)
  }
  unlink(file.path(copy, "inst", "doc"), recursive = TRUE) # a prebuilt page must not stand in
  out <- withr::local_tempdir()
  # No RETICULATE_PYTHON, no virtualenv from install_niimasker() (an empty
  # WORKON_HOME), no .venv in the tree, and not the set-up's strict mode.
  withr::local_envvar(
    RETICULATE_PYTHON = NA, NIIMASKER_REQUIRE_PYTHON = NA, VIRTUAL_ENV = NA,
    WORKON_HOME = withr::local_tempdir(), PATH = paste0(R.home("bin"), ":/usr/bin:/bin")
  )
  log <- withr::with_dir(out, suppressWarnings(system2(
    file.path(R.home("bin"), "R"), c("CMD", "build", "--no-manual", shQuote(copy)),
    stdout = TRUE, stderr = TRUE
  )))
  expect_false(is.null(attr(log, "status")))
  expect_match(gsub("\\s+", " ", paste(log, collapse = " ")), "none was found, so it is not built")
  expect_length(Sys.glob(file.path(out, "niimasker_*.tar.gz")), 0L)
})
