# The contract between the two layers: every exception class in
# niimasker_core.errors arrives in R as its own condition class.

expected_r_classes <- list(
  AromaImageError = c("niimasker_error_aroma_image", "niimasker_error_confounds"),
  AtlasFetchError = c("niimasker_error_atlas_fetch", "niimasker_error_atlas_query", "niimasker_error_roi"),
  AtlasQueryError = c("niimasker_error_atlas_query", "niimasker_error_roi"),
  BudgetError = "niimasker_error_budget",
  CleaningError = "niimasker_error_cleaning",
  ConfigError = "niimasker_error_config",
  ConfoundsError = "niimasker_error_confounds",
  ConnectivityError = "niimasker_error_connectivity",
  ImageNotFoundError = c("niimasker_error_image_not_found", "niimasker_error_input_file"),
  InputFileError = "niimasker_error_input_file",
  LabelsError = c("niimasker_error_labels", "niimasker_error_roi"),
  NiimaskerError = character(),
  OutputError = "niimasker_error_output",
  OutputFolderBusyError = c("niimasker_error_output_folder_busy", "niimasker_error_output"),
  PairingError = c("niimasker_error_pairing", "niimasker_error_confounds"),
  RoiError = "niimasker_error_roi",
  SettingsError = "niimasker_error_settings",
  TooFewVolumesError = c("niimasker_error_too_few_volumes", "niimasker_error_confounds",
                         "niimasker_error_cleaning", "niimasker_error_input_file"),
  MissingRepetitionTimeError = c("niimasker_error_missing_repetition_time", "niimasker_error_cleaning"),
  WorkerLostError = "niimasker_error_worker_lost"
)

py_raiser <- function() {
  reticulate::py_eval("lambda cls, msg: (_ for _ in ()).throw(cls(msg))")
}

test_that("every class in errors.__all__ arrives as its niimasker_error_* class", {
  skip_if_no_core()
  ours <- core_error_classes()
  # A new Python class must be added to the table above (and get its R class).
  expect_setequal(ours, names(expected_r_classes))
  raise <- py_raiser()
  for (name in ours) {
    message <- paste0("'x' is wrong for ", name, ". Got x={1: 2}.\nSecond line.")
    cnd <- expect_error(with_core_errors(raise(core$errors[[name]], message)),
                        class = "niimasker_error")
    expected <- c(expected_r_classes[[name]], "niimasker_error")
    expect_identical(class(cnd)[seq_along(expected)], expected, label = name)
    expect_identical(cnd$py_type, name)
    expect_match(conditionMessage(cnd), paste0("'x' is wrong for ", name, ". Got x={1: 2}."), fixed = TRUE)
    expect_match(conditionMessage(cnd), "Second line.", fixed = TRUE)
    expect_match(cnd$py_traceback, "<string>|File", perl = TRUE)
    expect_identical(reticulate::py_last_error()$type, name)
  }
})

test_that("other Python exceptions become niimasker_error_python", {
  skip_if_no_core()
  builtins <- reticulate::import_builtins(convert = FALSE)
  cnd <- expect_error(with_core_errors(py_raiser()(builtins$KeyError, "missing")),
                      class = "niimasker_error_python")
  expect_identical(cnd$py_type, "KeyError")
  expect_match(conditionMessage(cnd), "py_last_error", fixed = TRUE)
  expect_identical(reticulate::py_last_error()$type, "KeyError")
  # A later R-side failure is not mistaken for that stale Python one.
  expect_error(with_core_errors(stop("R side")), class = "simpleError")
})

test_that("R errors pass through with_core_errors() unchanged", {
  cnd <- expect_error(with_core_errors(stop("plain R failure")), "plain R failure")
  expect_false(inherits(cnd, "niimasker_error"))
  expect_error(with_core_errors(abort_niimasker("Bad.", class = "argument")),
               class = "niimasker_error_argument")
})

test_that("a missing core says how to install it", {
  expect_error(require_core(available = FALSE, python = "/usr/bin/python3"),
               class = "niimasker_error_python_unavailable")
  f <- function() require_core(available = FALSE, python = "/usr/bin/python3")
  expect_snapshot(error = TRUE, f())
})

test_that("core_signature() reads names and defaults through inspect", {
  skip_if_no_core()
  sig <- core_signature("nilearn_atlas")
  expect_identical(names(sig), c("query", "data_dir"))
  expect_null(sig$data_dir) # None, the default
})

test_that("a pyproject.toml without [tool.poetry] is not taken for Poetry", {
  withr::local_options(reticulate.poetry.project = NULL)
  dir <- withr::local_tempdir()
  writeLines(c("[project]", "name = 'x'", "[tool.ruff]", "line-length = 88"),
             file.path(dir, "pyproject.toml"))
  expect_true(ignore_false_poetry_project(dir))
  expect_false(file.exists(file.path(getOption("reticulate.poetry.project"), "pyproject.toml")))
  withr::local_options(reticulate.poetry.project = NULL)
  writeLines(c("[tool.poetry]", "name = 'x'"), file.path(dir, "pyproject.toml"))
  expect_false(ignore_false_poetry_project(dir))
  expect_null(getOption("reticulate.poetry.project"))
})

test_that("the Poetry check looks at the nearest pyproject.toml upwards", {
  dir <- withr::local_tempdir()
  sub <- file.path(dir, "a", "b")
  dir.create(sub, recursive = TRUE)
  writeLines("[tool.ruff]", file.path(dir, "pyproject.toml"))
  expect_identical(normalizePath(project_root(sub)), normalizePath(dir))
})
