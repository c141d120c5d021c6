test_that("read_timeseries() reads an output folder back into the same tibble", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(),
                           labels = example_labels(), t_r = 2, discard_scans = 3,
                           output_dir = out, report = FALSE)
  again <- read_timeseries(out)
  expect_identical(names(again), names(ts))
  expect_identical(again$file, ts$file)
  expect_identical(again$sub, ts$sub)
  expect_identical(again$volume, ts$volume)
  for (column in names(ts)[-(1:6)]) {
    expect_equal(again[[column]], ts[[column]], tolerance = 1e-7) # TSVs keep 9 digits
  }
  info <- timeseries_info(again)
  expect_identical(info$labels, timeseries_info(ts)$labels)
  expect_identical(info$t_r, timeseries_info(ts)$t_r)
  expect_identical(info$sidecars[[1]]$OutputVolumes, 4:80)
  expect_identical(nrow(info$failures), 0L)
  expect_identical(info$output_dir, out)
})

test_that("read_timeseries() says when a folder holds no output", {
  skip_if_no_core()
  empty <- withr::local_tempdir()
  cnd <- expect_error(read_timeseries(empty), class = "niimasker_error_image_not_found")
  expect_match(conditionMessage(cnd), "`output_dir`", fixed = TRUE)
  expect_error(read_timeseries(c("a", "b")), class = "niimasker_error_argument")
})

test_that("connectivity comes as a long tibble, equal to cor() on the kept volumes, and reads back", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  ts <- extract_timeseries(c(example_bold("01"), example_bold("02")), example_atlas(),
                           labels = example_labels(), t_r = 2, discard_scans = 3,
                           connectivity = c("correlation", "tangent"),
                           output_dir = out, report = FALSE)
  conn <- timeseries_info(ts)$connectivity
  regions <- timeseries_info(ts)$labels$name
  expect_identical(names(conn), c("file", "sub", "participant_id", "task", "space", "desc",
                                  "kind", "node_from", "node_to", "value"))
  expect_identical(nrow(conn), as.integer(2L * 2L * length(regions)^2))
  one <- conn[conn$sub == "01" & conn$kind == "correlation", ]
  wide <- matrix(one$value, length(regions), dimnames = list(unique(one$node_from), unique(one$node_to)))
  expect_identical(rownames(wide), regions)
  expect_equal(wide, stats::cor(as.matrix(ts[ts$sub == "01", regions])), tolerance = 1e-10,
               ignore_attr = TRUE)
  again <- timeseries_info(read_timeseries(out))$connectivity
  expect_identical(again[c("file", "kind", "node_from", "node_to")], conn[c("file", "kind", "node_from", "node_to")])
  expect_equal(again$value, conn$value, tolerance = 1e-7) # relmats keep 9 digits
  sub01 <- timeseries_info(ts[ts$sub == "01", ])$connectivity
  expect_identical(unique(sub01$sub), "01")
})

test_that("tangent of one image is a connectivity error", {
  skip_if_no_core()
  expect_error(extract_timeseries(example_bold("01"), example_atlas(), connectivity = "tangent"),
               class = "niimasker_error_connectivity")
})

test_that("read_timeseries() reads a BIDS-layout folder back", {
  skip_if_no_core()
  out <- withr::local_tempdir()
  ts <- extract_timeseries(c(example_bold("01"), example_bold("02")),
                           c(synth = example_atlas()), labels = example_labels(),
                           t_r = 2, output_dir = out, output_layout = "bids",
                           min_coverage = 0.5, report = FALSE)
  expect_true(file.exists(file.path(
    out, "sub-02", "func",
    "sub-02_task-rest_space-MNI305_atlas-synth_stat-mean_timeseries.tsv"
  )))
  expect_true(file.exists(file.path(out, "dataset_description.json")))
  again <- read_timeseries(out)
  expect_identical(again$file, ts$file)
  expect_identical(again$sub, ts$sub)
  for (column in names(ts)[-(1:6)]) {
    expect_equal(again[[column]], ts[[column]], tolerance = 1e-7)
  }
  expect_identical(timeseries_info(again)$sidecars[[1]]$MinCoverage, 0.5)
})
