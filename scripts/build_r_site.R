# The R package's pkgdown site (build/docs/r, see _pkgdown.yml), offline, every warning an error.
# One warning is expected offline and let through: downlit looking a package up on CRAN to link
# its name (tools::CRAN_package_db(), which cannot reach cran.rstudio.com); the names stay unlinked.
options(pkgdown.internet = FALSE)
offline_lookup <- function(w) grepl("packages.rds|cran\\.rstudio\\.com", conditionMessage(w))
withCallingHandlers(
  pkgdown::build_site(".", install = FALSE, preview = FALSE, new_process = FALSE, devel = FALSE),
  warning = function(w) {
    if (offline_lookup(w)) invokeRestart("muffleWarning")
    stop("pkgdown warned (warnings are errors in the docs build): ", conditionMessage(w), call. = FALSE)
  }
)
