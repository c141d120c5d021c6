# Pure R: these run without Python.

test_that("abort_niimasker() adds the niimasker classes", {
  cnd <- expect_error(abort_niimasker("Bad {.arg x}.", class = "argument"),
                      class = "niimasker_error_argument")
  expect_s3_class(cnd, "niimasker_error")
  expect_s3_class(cnd, "rlang_error")
  base <- expect_error(abort_niimasker("Bad."), class = "niimasker_error")
  expect_identical(class(base)[[1]], "niimasker_error")
})

test_that("Python class names become snake_case suffixes", {
  expect_identical(
    py_error_suffix(c("AtlasFetchError", "SettingsError", "ImageNotFoundError", "RoiError", "NiimaskerError")),
    c("atlas_fetch", "settings", "image_not_found", "roi", NA)
  )
})

test_that("a Python error keeps its message verbatim, braces included", {
  cnd <- expect_error(
    abort_python_error("ConfigError", c("ConfigError", "NiimaskerError"),
                       "config has unknown key(s): {x}.\nValid keys are: a, b.",
                       "tb", call = NULL),
    class = "niimasker_error_config"
  )
  expect_match(conditionMessage(cnd), "config has unknown key(s): {x}.", fixed = TRUE)
  expect_match(conditionMessage(cnd), "Valid keys are: a, b.", fixed = TRUE)
  expect_identical(cnd$py_type, "ConfigError")
  expect_identical(cnd$py_traceback, "tb")
})

test_that("a Python error that is not ours becomes niimasker_error_python", {
  cnd <- expect_error(
    abort_python_error("KeyError", character(), "'x'", "tb", call = NULL),
    class = "niimasker_error_python"
  )
  expect_false(inherits(cnd, "niimasker_error_key"))
  expect_snapshot(error = TRUE, abort_python_error("KeyError", character(), "'x'", "tb", call = NULL))
})

test_that("Python warning and error classes map to R suffixes", {
  expect_identical(py_class_suffix(c("EmptyRegionWarning", "ConfigOverrideWarning",
                                     "NiimaskerWarning", "AtlasFetchError")),
                   c("empty_region", "config_override", NA, "atlas_fetch"))
})

test_that("warn_core() signals the core's warning with its class and parts", {
  w <- list(type = "EmptyRegionWarning", classes = list("EmptyRegionWarning", "NiimaskerWarning"),
            problem = "Region \"a{1}\" has no voxels in 'x.nii'; its column is n/a.", fix = NULL,
            parameter = NULL, file = "x.nii", parts = list(region = "a{1}"))
  cnd <- expect_warning(warn_core(w), class = "niimasker_warning_empty_region")
  expect_s3_class(cnd, "niimasker_warning")
  expect_identical(conditionMessage(cnd), w$problem)
  expect_identical(cnd$file, "x.nii")
  other <- list(type = "RuntimeWarning", classes = list(), problem = "overflow", fix = NULL)
  expect_warning(warn_core(other), class = "niimasker_warning_python")
})
