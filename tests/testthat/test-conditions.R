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
