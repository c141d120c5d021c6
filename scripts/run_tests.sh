#!/usr/bin/env bash
# Run every test: pytest for the Python core, nilearn's masker tests against the drop-ins,
# testthat for the R package.
# Prints one closing line "all: N passed, N failed, N skipped"; exits non-zero if either failed.
set -u
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
mkdir -p build
lint_rc=0
"$VENV/bin/ruff" check inst/python tests/python bench scripts docs/python/conf.py docs/python/_ext || lint_rc=$?
"$VENV/bin/ruff" format --check inst/python tests/python bench scripts docs/python/conf.py docs/python/_ext || lint_rc=$?
# The layers of the core (pyproject.toml [tool.importlinter]): data flows one way.
PYTHONPATH=inst/python "$VENV/bin/lint-imports" --no-cache || lint_rc=$?
[ "$lint_rc" -ne 0 ] && echo "lint: ruff or import-linter problems above (format with: .venv/bin/ruff format inst/python tests/python bench scripts docs/python/conf.py docs/python/_ext)"
py_rc=0
"$VENV/bin/python" -m pytest tests/python -q -p no:cacheprovider --junitxml=build/pytest.xml || py_rc=$?
read -r py_pass py_fail py_skip < <("$VENV/bin/python" - <<'PY'
import xml.etree.ElementTree as ET
try:
    root = ET.parse("build/pytest.xml").getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    tests, fail, err, skip = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(tests - fail - err - skip, fail + err, skip)
except Exception:
    print(0, 1, 0)
PY
)
# nilearn 0.14.1's own volume- and surface-masker tests against the drop-ins (copied from the
# installed wheel at test time; tests/nilearn_suite/<group>_expected_failures.txt lists the known
# failures, strict xfail). The two groups run as two processes at once, one counts line each.
nl_rc=0
"$VENV/bin/python" scripts/run_nilearn_suite.py > build/nilearn_suite.log 2>&1 || nl_rc=$?
grep -E '^(FAILED|ERROR) ' build/nilearn_suite.log || true
nl_pass=0; nl_fail=0
for group in volume surface; do
  nl_line=$(grep -E "^nilearn $group masker suite: " build/nilearn_suite.log | tail -1)
  echo "${nl_line:-nilearn $group masker suite: 0 passed, 0 expected failures, 1 failed (no summary: see build/nilearn_suite.log)}"
  read -r g_pass g_xfail g_fail < <(echo "$nl_line" | sed -E 's/^nilearn [a-z]+ masker suite: ([0-9]+) passed, ([0-9]+) expected failures, ([0-9]+) failed.*/\1 \2 \3/' || true)
  nl_pass=$((nl_pass + ${g_pass:-0})); nl_fail=$((nl_fail + ${g_fail:-1}))
done
[ "$nl_rc" -ne 0 ] && [ "$nl_fail" -eq 0 ] && nl_fail=1
r_rc=0
Rscript scripts/run_testthat.R > build/testthat.log 2>&1 || r_rc=$?
cat build/testthat.log
read -r r_pass r_fail r_skip < <(grep -E '^testthat: [0-9]+ passed' build/testthat.log | tail -1 | sed -E 's/testthat: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/' || true)
r_pass=${r_pass:-0}; r_fail=${r_fail:-1}; r_skip=${r_skip:-0}
[ "$r_rc" -ne 0 ] && [ "$r_fail" -eq 0 ] && r_fail=1
# Both documentation sites, offline, warnings as errors, every internal link checked.
docs_rc=0
bash scripts/build_docs.sh > build/docs.log 2>&1 || docs_rc=$?
grep -E '^docs: ' build/docs.log || true
[ "$docs_rc" -ne 0 ] && { tail -40 build/docs.log; echo "docs: build failed (build/docs.log)"; }
docs_fail=$([ "$docs_rc" -ne 0 ] && echo 1 || echo 0)
lint_fail=$([ "$lint_rc" -ne 0 ] && echo 1 || echo 0)
echo "all: $((py_pass + r_pass + nl_pass)) passed, $((py_fail + r_fail + lint_fail + nl_fail + docs_fail)) failed, $((py_skip + r_skip)) skipped"
if [ "$lint_rc" -ne 0 ] || [ "$py_rc" -ne 0 ] || [ "$r_rc" -ne 0 ] || [ "$r_fail" -ne 0 ] || [ "$nl_fail" -ne 0 ] || [ "$docs_rc" -ne 0 ]; then exit 1; fi
