# The R examples of the README and of the R guide (vignettes/articles/r-guide.Rmd) run as written
# on the bundled data (issue 21, item 10; the guide also runs when make docs builds the R site).

r_blocks <- function(file, opens) {
  if (!file.exists(file)) skip(paste(basename(file), "is not beside the tests (installed package)"))
  lines <- readLines(file, warn = FALSE)
  starts <- which(lines %in% opens)
  closes <- which(lines == "```")
  blocks <- lapply(starts, function(o) lines[(o + 1L):(min(closes[closes > o]) - 1L)])
  Filter(function(b) any(grepl("system.file(", b, fixed = TRUE)), blocks)
}

run_blocks <- function(blocks) {
  env <- new.env(parent = globalenv())
  for (block in blocks) {
    block <- sub("^library\\(niimasker\\)$", "", block)  # loaded already (test_local)
    expect_no_error(utils::capture.output(eval(parse(text = block), envir = env)))
  }
  env
}

test_that("the README's R quick start runs on the bundled data", {
  skip_if_no_core()
  blocks <- r_blocks(test_path("..", "..", "README.md"), "```r")
  expect_length(blocks, 1L)
  env <- run_blocks(blocks)
  expect_setequal(unique(env$ts$sub), c("01", "02"))
})

test_that("the R guide's examples run on the bundled data", {
  skip_if_no_core()
  guide <- test_path("..", "..", "vignettes", "articles", "r-guide.Rmd")
  blocks <- r_blocks(guide, c("```{r extract}", "```{r voxels}"))
  expect_length(blocks, 2L)
  withr::defer(unlink(file.path(tempdir(), c("out", "r_map.nii.gz")), recursive = TRUE))
  env <- run_blocks(blocks)
  expect_setequal(unique(env$ts$sub), c("01", "02"))
  expect_identical(dim(env$again), dim(env$ts))
  expect_true(file.exists(file.path(tempdir(), "r_map.nii.gz")))
})

test_that("the guide's BIDS outputs example runs in R and writes the BIDS names", {
  skip_if_no_core()
  page <- test_path("..", "..", "docs", "python", "guide", "bids.md")
  if (!file.exists(page)) skip("the guide is not beside the tests (installed package)")
  lines <- readLines(page, warn = FALSE)
  start <- which(lines == "# BIDS outputs and coverage")
  end <- start + which(grepl("^## ", lines[-seq_len(start)]))[1]
  section <- lines[start:(end - 1L)]
  open <- which(section == "```r")
  expect_length(open, 1L)
  block <- section[(open + 1L):(open + which(section[-seq_len(open)] == "```")[1] - 1L)]
  env <- new.env(parent = globalenv())
  withr::defer(unlink(file.path(tempdir(), "out_bids"), recursive = TRUE))
  utils::capture.output(eval(parse(text = block), envir = env))
  expect_true(file.exists(file.path(
    env$out, "sub-01", "func",
    "sub-01_task-rest_space-MNI305_atlas-synth_stat-mean_timeseries.tsv"
  )))
  expect_identical(dim(env$again), dim(env$ts))
})
