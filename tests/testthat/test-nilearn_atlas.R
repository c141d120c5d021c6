test_that("name and parameters build the query", {
  expect_identical(atlas_query("nilearn:yeo:thick_7", NULL), "nilearn:yeo:thick_7")
  expect_identical(atlas_query(NULL, "schaefer", 400, 17L, 2), "nilearn:schaefer:400-17-2")
  expect_identical(atlas_query(NULL, "basc", "sym", 20), "nilearn:basc:sym-20")
  expect_identical(atlas_query(NULL, "aal"), "nilearn:aal")
  expect_identical(atlas_query(NULL, "schaefer", 1000, 7, 1), "nilearn:schaefer:1000-7-1")
  # R matches the first unnamed value to `query`; with `name` it is a parameter.
  expect_identical(atlas_query(400, "schaefer", 17, 2), "nilearn:schaefer:400-17-2")
  expect_identical(atlas_query("thick_7", "yeo"), "nilearn:yeo:thick_7")
  build <- function(query = NULL, name = NULL, ...) atlas_query(query, name, ...)
  expect_identical(build(name = "basc", "sym", 20), "nilearn:basc:sym-20")
})

test_that("nilearn_atlas() refuses unusable arguments before Python", {
  expect_error(nilearn_atlas(), class = "niimasker_error_argument")
  expect_error(nilearn_atlas("nilearn:yeo:thick_7", name = "yeo"), class = "niimasker_error_argument")
  expect_error(nilearn_atlas(c("nilearn:yeo:thick_7", "nilearn:aal")), class = "niimasker_error_argument")
  expect_error(nilearn_atlas(name = "schaefer", n_rois = 400), class = "niimasker_error_argument")
  expect_error(nilearn_atlas(name = "schaefer", 400.5), class = "niimasker_error_argument")
  expect_error(nilearn_atlas(name = "yeo", NA), class = "niimasker_error_argument")
  expect_error(nilearn_atlas("nilearn:yeo:thick_7", data_dir = 1), class = "niimasker_error_argument")
  expect_snapshot(error = TRUE, nilearn_atlas(name = "schaefer", n_rois = 400))
  expect_snapshot(error = TRUE, nilearn_atlas("nilearn:aal", name = "aal"))
})

# Make every download fail at once, without touching the network: nilearn's
# requests (https through requests, ftp through urllib) go to a proxy on a
# closed local port.
local_no_network <- function(env = parent.frame()) {
  os <- reticulate::import("os", convert = FALSE)
  proxies <- c("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "http_proxy", "https_proxy", "ftp_proxy")
  keys <- c(proxies, "NO_PROXY", "no_proxy")
  old <- lapply(keys, function(k) reticulate::py_to_r(os$environ$get(k)))
  for (k in proxies) os$environ$`__setitem__`(k, "http://127.0.0.1:9")
  for (k in c("NO_PROXY", "no_proxy")) os$environ$pop(k, NULL)
  withr::defer(for (i in seq_along(keys)) {
    if (is.null(old[[i]])) os$environ$pop(keys[[i]], NULL) else os$environ$`__setitem__`(keys[[i]], old[[i]])
  }, envir = env)
}

test_that("an atlas that can't be downloaded is niimasker_error_atlas_fetch", {
  skip_if_no_core()
  skip_if_not(core_has("nilearn_atlas"), "api.nilearn_atlas() is not in the core yet")
  local_no_network()
  data_dir <- withr::local_tempdir()
  cnd <- expect_error(nilearn_atlas(name = "schaefer", 100, 7, 2, data_dir = data_dir),
                      class = "niimasker_error_atlas_fetch")
  expect_s3_class(cnd, "niimasker_error_roi")
  expect_match(conditionMessage(cnd), "nilearn:schaefer:100-7-2", fixed = TRUE)
  # One plain line and the fix, without the HTTP internals.
  expect_match(conditionMessage(cnd), "no network connection, and it is not in `data_dir`",
               fixed = TRUE)
  expect_no_match(conditionMessage(cnd), "127.0.0.1|HTTPConnectionPool|Max retries")
  expect_match(cnd$fix, "data_dir", fixed = TRUE)
  expect_identical(cnd$parameter, "query")
})

test_that("a malformed query is niimasker_error_atlas_query", {
  skip_if_no_core()
  skip_if_not(core_has("nilearn_atlas"), "api.nilearn_atlas() is not in the core yet")
  cnd <- expect_error(nilearn_atlas(name = "no_such_atlas", data_dir = withr::local_tempdir()),
                      class = "niimasker_error_atlas_query")
  # nilearn_atlas()'s argument is `query`, not extract_timeseries()'s `roi_file`.
  expect_match(conditionMessage(cnd), '^`query` "nilearn:no_such_atlas" names an unknown atlas')
  expect_no_match(conditionMessage(cnd), "roi_file")
})

test_that("nilearn_atlas() has the core's parameters besides name and ...", {
  skip_if_no_core()
  skip_if_not(core_has("nilearn_atlas"), "api.nilearn_atlas() is not in the core yet")
  r_only <- c("name", "...")
  expect_identical(setdiff(names(formals(nilearn_atlas)), r_only),
                   names(core_signature("nilearn_atlas")))
})
