# Run the R package's tests from the source tree and print one summary line.
res <- testthat::test_local(".", stop_on_failure = FALSE,
                            reporter = testthat::ProgressReporter$new(show_praise = FALSE))
df <- as.data.frame(res)
bad <- df$failed > 0 | df$error
n_fail <- sum(bad)
n_skip <- sum(df$skipped & !bad)
n_pass <- nrow(df) - n_fail - n_skip
cat(sprintf("testthat: %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip))
quit(status = if (n_fail > 0) 1 else 0)
