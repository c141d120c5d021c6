# niimasker: set up, demo and test. On a bare Debian 12 start with `sh bootstrap.sh TARGET`, which
# installs make, Python's venv and R from Debian when they are missing and then runs `make TARGET`.
SHELL := /bin/bash
VENV ?= .venv
PY   ?= python3
RLIB ?= .Rlib
export RETICULATE_PYTHON := $(CURDIR)/$(VENV)/bin/python
export R_LIBS := $(CURDIR)/$(RLIB)
export R_PROFILE_USER := $(CURDIR)/scripts/Rprofile.offline
export NIIMASKER_REQUIRE_PYTHON := true
export NIIMASKER_ROOT := $(CURDIR)

.PHONY: setup setup-system setup-python setup-r demo test test-python test-r docs check dist bench example-data clean

setup: setup-system setup-python setup-r

# The Debian packages (Python venv, R, pandoc): bootstrap.sh installs only the missing ones.
setup-system:
	@sh bootstrap.sh

setup-python:
	@test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[test,dask,docs]'

setup-r:
	@mkdir -p $(RLIB)
	R CMD INSTALL --no-test-load --library=$(RLIB) . >/dev/null
	@$(MAKE) --no-print-directory $(VIGNETTE)

# The vignette, run with the Python core (RETICULATE_PYTHON above) and installed with the package,
# so that vignette("niimasker") opens it; made again when its source or the R code changes.
VIGNETTE := inst/doc/niimasker.html
$(VIGNETTE): vignettes/niimasker.Rmd $(wildcard R/*.R) DESCRIPTION
	@mkdir -p inst/doc
	Rscript -e 'rmarkdown::render("vignettes/niimasker.Rmd", output_dir = "inst/doc", intermediates_dir = tempdir(), quiet = TRUE)'
	cp vignettes/niimasker.Rmd inst/doc/
	R CMD INSTALL --no-test-load --library=$(RLIB) . >/dev/null

# Install everything, then extract the bundled example data into demo_output/.
demo: setup
	rm -rf demo_output
	$(VENV)/bin/niimasker demo_output \
	  -i 'inst/extdata/fmriprep/sub-*/func/*_desc-preproc_bold.nii.gz' \
	  -r inst/extdata/atlas-synthetic12_dseg.nii.gz \
	  --labels inst/extdata/atlas-synthetic12_dseg.tsv \
	  --regressor_files 'inst/extdata/fmriprep/sub-*/func/*_desc-confounds_timeseries.tsv' \
	  --regressors Params6 --t_r 2 --high_pass 0.01 --detrend --standardize
	@ls demo_output

# Install everything, then run every test (pytest for the core, testthat for R).
test: setup
	bash scripts/run_tests.sh

# Both documentation sites, offline, warnings as errors, links checked (scripts/build_docs.sh):
# build/docs/python/index.html (Sphinx) and build/docs/r/index.html (pkgdown).
docs: setup
	bash scripts/build_docs.sh

test-python:
	$(VENV)/bin/python -m pytest -q tests/python

test-r:
	Rscript scripts/run_testthat.R

check: setup
	rm -rf niimasker_*.tar.gz niimasker.Rcheck
	R CMD build . && NOT_CRAN=true R CMD check --no-manual niimasker_*.tar.gz

# The Python distribution: dist/niimasker-VERSION.tar.gz and the wheel built from it, with the venv's
# setuptools, wheel and build (the `test` extra), so nothing is downloaded.
dist: setup-python
	rm -rf dist
	$(VENV)/bin/python -m build --no-isolation --outdir dist .
	@ls dist

bench: setup-python
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(VENV)/bin/python bench/bench_labels.py --data bench/data \
	  $(if $(wildcard bench/data1000/*_bold.nii.gz),--data1000 bench/data1000)

example-data: setup-python
	rm -rf inst/extdata && $(VENV)/bin/python scripts/make_example_data.py inst/extdata
