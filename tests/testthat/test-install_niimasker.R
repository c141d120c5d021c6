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

test_that("n_jobs = 2 works in the virtualenv install_niimasker() makes", {
  # The set-up of an R user: the core is not pip-installed, R imports it from
  # the package folder, and the workers must still import it. pip reaches
  # PyPI; about a minute.
  skip_if_no_core()
  skip_on_cran()
  skip_if(nzchar(Sys.getenv("NIIMASKER_SKIP_INSTALL_TEST")), "NIIMASKER_SKIP_INSTALL_TEST is set")
  home <- withr::local_tempdir()
  python <- unname(Sys.which("python3"))
  install <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "library(niimasker)",
    "invisible(install_niimasker(python = Sys.getenv('NIIMASKER_TEST_PYTHON')))"
  ), install)
  # A new session, as after "Restart R": it finds the virtualenv on its own.
  use <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "library(niimasker)",
    "f <- function(...) system.file('extdata', ..., package = 'niimasker')",
    "bold <- Sys.glob(file.path(f(), 'fmriprep', 'sub-*', 'func', '*_desc-preproc_bold.nii.gz'))",
    "one <- extract_timeseries(bold, f('atlas-synthetic12_dseg.nii.gz'), t_r = 2, n_jobs = 1)",
    "two <- extract_timeseries(bold, f('atlas-synthetic12_dseg.nii.gz'), t_r = 2, n_jobs = 2)",
    "cat('python:', reticulate::py_config()$python, '\\n')",
    "cat('images:', length(bold), '\\n')",
    "cat('identical:', identical(lapply(one, identity), lapply(two, identity)), '\\n')"
  ), use)
  env <- c(WORKON_HOME = home, RETICULATE_PYTHON = NA, NIIMASKER_TEST_PYTHON = python,
           R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep), PYTHONPATH = NA)
  rscript <- file.path(R.home("bin"), "Rscript")
  out <- withr::with_envvar(env, c(
    system2(rscript, install, stdout = TRUE, stderr = TRUE),
    system2(rscript, use, stdout = TRUE, stderr = TRUE)
  ))
  expect_false(any(grepl("Poetry", out, fixed = TRUE)), label = paste(out, collapse = "\n"))
  expect_true(any(grepl(paste0("python: ", home), out, fixed = TRUE)), label = paste(out, collapse = "\n"))
  # install_niimasker() says where the virtualenv is, not only its Python
  expect_true(any(grepl("virtualenv \"r-niimasker\"", out, fixed = TRUE)),
              label = paste(out, collapse = "\n"))
  expect_true(any(grepl(file.path(home, "r-niimasker"), out, fixed = TRUE) &
                    !grepl("bin/python", out, fixed = TRUE)), label = paste(out, collapse = "\n"))
  expect_true(any(grepl("images: 2", out, fixed = TRUE)), label = paste(out, collapse = "\n"))
  expect_true(any(grepl("identical: TRUE", out, fixed = TRUE)), label = paste(out, collapse = "\n"))
})
