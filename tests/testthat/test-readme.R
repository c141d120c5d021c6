# The README's R examples run as written (issue 21, item 10): every ```r block
# of its "## R" section that uses the bundled example data.

readme_r_blocks <- function() {
  readme <- test_path("..", "..", "README.md")
  if (!file.exists(readme)) skip("README.md is not beside the tests (installed package)")
  lines <- readLines(readme, warn = FALSE)
  start <- which(lines == "## R")
  end <- start + which(grepl("^## ", lines[-seq_len(start)]))[1]
  section <- lines[start:(end - 1L)]
  opens <- which(section == "```r")
  closes <- which(section == "```")
  blocks <- lapply(opens, function(o) section[(o + 1L):(min(closes[closes > o]) - 1L)])
  Filter(function(b) any(grepl("system.file(", b, fixed = TRUE)), blocks)
}

test_that("the README's R examples run on the bundled data", {
  skip_if_no_core()
  blocks <- readme_r_blocks()
  expect_gte(length(blocks), 2L)
  env <- new.env(parent = globalenv())
  withr::defer(unlink(file.path(tempdir(), c("out", "r_map.nii.gz")), recursive = TRUE))
  for (block in blocks) {
    block <- sub("^library\\(niimasker\\)$", "", block)  # loaded already (test_local)
    expect_no_error(utils::capture.output(eval(parse(text = block), envir = env)))
  }
  expect_setequal(unique(env$ts$sub), c("01", "02"))
  expect_identical(dim(env$again), dim(env$ts))
  expect_true(file.exists(file.path(tempdir(), "r_map.nii.gz")))
})

test_that("the README's BIDS outputs example runs in R and writes the BIDS names", {
  skip_if_no_core()
  readme <- test_path("..", "..", "README.md")
  if (!file.exists(readme)) skip("README.md is not beside the tests (installed package)")
  lines <- readLines(readme, warn = FALSE)
  start <- which(lines == "### BIDS outputs")
  end <- start + which(grepl("^#{2,3} ", lines[-seq_len(start)]))[1]
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
