# Time the crossing of an extraction result from Python into an R tibble:
# py_to_r() of the core's plain dict (bytearray + names) plus the tibble build
# that extract_timeseries() does. Goals (issue 3): 1200 x 1000 < 0.1 s,
# 300 x 50000 < 1 s.
#
# Run from the repository root: Rscript bench/bench_r_conversion.R
# (RETICULATE_PYTHON must point to a Python with numpy, e.g. .venv/bin/python).

if (requireNamespace("pkgload", quietly = TRUE) && file.exists("DESCRIPTION")) {
  pkgload::load_all(".", quiet = TRUE)
} else {
  library(niimasker)
}
ns <- asNamespace("niimasker")

# A result shaped like r_bridge.to_plain() returns, built in Python.
make_result <- reticulate::py_run_string(
  "
def make(rows, cols):
    import numpy as np
    values = np.random.default_rng(0).standard_normal((rows, cols))
    return {
        'timeseries': [{
            'file': 'sub-01_bold.nii.gz', 'stem': 'sub-01_bold',
            'columns': [f'region{i:05d}' for i in range(cols)],
            'values': bytearray(values.tobytes(order='F')),
            'shape': [rows, cols], 'volumes': list(range(rows)), 't_r': 2.0,
            'sidecar': {'EmptyRegions': []}, 'files': [],
        }],
        'failures': [], 'parameters': {'roi': {'regions': []}}, 'output_dir': None,
    }
",
  local = TRUE, convert = FALSE
)$make

time_conversion <- function(rows, cols, times = 7L) {
  result <- make_result(as.integer(rows), as.integer(cols))
  elapsed <- vapply(seq_len(times + 1L), function(i) {
    gc(FALSE)
    system.time(ts <- ns$timeseries_tibble(reticulate::py_to_r(result)))[["elapsed"]]
  }, double(1))[-1L] # the first call warms up
  stopifnot(nrow(ts) == rows, ncol(ts) == cols + 2L)
  data.frame(rows = rows, columns = cols, min_s = min(elapsed), median_s = stats::median(elapsed), max_s = max(elapsed))
}

print(rbind(time_conversion(1200, 1000), time_conversion(300, 50000)), row.names = FALSE)
