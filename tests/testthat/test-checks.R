# Pure R: these run without Python.

test_that("check_flag() accepts TRUE/FALSE only", {
  expect_identical(check_flag(TRUE), TRUE)
  expect_error(check_flag(NA), class = "niimasker_error_argument")
  expect_error(check_flag(c(TRUE, FALSE)), class = "niimasker_error_argument")
  expect_error(check_flag("yes"), class = "niimasker_error_argument")
})

test_that("check_string() rejects vectors, NA, empty strings and data frames", {
  expect_null(check_string(NULL))
  expect_identical(check_string("a.nii.gz"), "a.nii.gz")
  expect_error(check_string(NULL, allow_null = FALSE), class = "niimasker_error_argument")
  expect_error(check_string(c("a", "b")), class = "niimasker_error_argument")
  expect_error(check_string(NA_character_), class = "niimasker_error_argument")
  expect_error(check_string(""), class = "niimasker_error_argument")
  expect_error(check_string(data.frame(x = "a")), class = "niimasker_error_argument")
})

test_that("check_strings() takes character vectors without NA", {
  expect_identical(check_strings(c("a", "b")), c("a", "b"))
  expect_error(check_strings(c("a", NA)), class = "niimasker_error_argument")
  expect_error(check_strings(character()), class = "niimasker_error_argument")
  expect_error(check_strings(data.frame(path = "a")), class = "niimasker_error_argument")
  expect_error(check_strings(1:2), class = "niimasker_error_argument")
})

test_that("check_number() returns a double scalar", {
  expect_identical(check_number(2L), 2)
  expect_null(check_number(NULL))
  expect_error(check_number(NA_real_), class = "niimasker_error_argument")
  expect_error(check_number(c(1, 2)), class = "niimasker_error_argument")
  expect_error(check_number("2"), class = "niimasker_error_argument")
})

test_that("check_whole_number() returns an integer", {
  expect_identical(check_whole_number(4), 4L)
  expect_identical(check_whole_number(-1), -1L)
  expect_error(check_whole_number(1.5), class = "niimasker_error_argument")
  expect_error(check_whole_number(NA_integer_), class = "niimasker_error_argument")
  expect_error(check_whole_number(2^40), class = "niimasker_error_argument")
  expect_error(check_whole_number(1:2), class = "niimasker_error_argument")
})

test_that("check_flag_or_string() accepts a flag or one string", {
  expect_identical(check_flag_or_string("psc"), "psc")
  expect_identical(check_flag_or_string(TRUE), TRUE)
  expect_error(check_flag_or_string(NA), class = "niimasker_error_argument")
  expect_error(check_flag_or_string(1), class = "niimasker_error_argument")
})

test_that("check_labels() takes names, a file or a labels data frame ordered by index", {
  expect_identical(check_labels(c("a", "b")), c("a", "b"))
  labels <- data.frame(index = c(2L, 1L), name = c("second", "first"))
  expect_identical(check_labels(labels), c("first", "second"))
  expect_error(check_labels(data.frame(label = "a")), class = "niimasker_error_argument")
  expect_error(check_labels(c("a", NA)), class = "niimasker_error_argument")
})

test_that("check_labels_arg() takes one set's labels or one per ROI set", {
  expect_identical(check_labels_arg(c("a", "b")), list("a", "b"))
  expect_null(check_labels_arg(NULL))
  per_set <- check_labels_arg(list(fine = "fine.tsv", seeds = c("PCC", "mPFC"), none = NULL))
  expect_identical(names(per_set), c("fine", "seeds", "none"))
  expect_identical(per_set$seeds, list("PCC", "mPFC"))
  expect_null(per_set$none)
  expect_identical(check_labels_arg(c(fine = "f.tsv", seeds = "s.csv")),
                   list(fine = list("f.tsv"), seeds = list("s.csv")))
  frame <- data.frame(index = 2:1, name = c("second", "first"))
  expect_identical(check_labels_arg(list(fine = frame))$fine, list("first", "second"))
  # Region names with names would reach the core as a dict: refused here.
  expect_error(check_labels_arg(c(`1` = "Left", `2` = "Right")), "unname",
               class = "niimasker_error_argument")
  expect_error(check_labels_arg(list("a.tsv", "b.tsv")), "by its ROI set",
               class = "niimasker_error_argument")
  expect_error(check_labels_arg(list(fine = c("a", NA)), arg = "labels"), "labels\\$fine",
               class = "niimasker_error_argument")
})

test_that("check_mask_img() takes one path or one per ROI set", {
  expect_identical(check_mask_img("gm.nii.gz"), "gm.nii.gz")
  expect_null(check_mask_img(NULL))
  expect_identical(check_mask_img(c(fine = "gm.nii.gz", seeds = "b.nii")),
                   list(fine = "gm.nii.gz", seeds = "b.nii"))
  expect_identical(check_mask_img(list(fine = "gm.nii.gz")), list(fine = "gm.nii.gz"))
  expect_error(check_mask_img(c("a.nii", "b.nii")), class = "niimasker_error_argument")
  expect_error(check_mask_img(c(a = "x.nii", a = "y.nii")), "once",
               class = "niimasker_error_argument")
  expect_error(check_mask_img(list(fine = 1), arg = "mask_img"), "mask_img\\$fine",
               class = "niimasker_error_argument")
})

test_that("check_config() takes a path or a named list without NA", {
  expect_identical(check_config("config.json"), "config.json")
  expect_identical(check_config(list(t_r = 2)), list(t_r = 2))
  expect_error(check_config(list(2)), class = "niimasker_error_argument")
  expect_error(check_config(list(t_r = 2, t_r = 3)), class = "niimasker_error_argument")
  expect_error(check_config(list(t_r = NA)), class = "niimasker_error_argument")
  expect_error(check_config(c("a.json", "b.json")), class = "niimasker_error_argument")
  expect_error(check_config(data.frame(t_r = 2)), class = "niimasker_error_argument")
})

test_that("argument errors name the argument", {
  f <- function(t_r) check_number(t_r)
  expect_snapshot(error = TRUE, f("2"))
  g <- function(input_files) check_strings(input_files)
  expect_snapshot(error = TRUE, g(c("a", NA, "")))
  h <- function(labels) check_labels(labels)
  expect_snapshot(error = TRUE, h(data.frame(label = "a")))
  k <- function(config) check_config(config)
  expect_snapshot(error = TRUE, k(list(t_r = NA, detrend = TRUE)))
})
