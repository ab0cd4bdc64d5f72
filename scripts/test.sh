#!/usr/bin/env bash
# Run the test suite on SQLite (embedded mode), then on PostgreSQL (hosted mode)
# when one answers. Called by `make test`; arguments go to pytest.
#
# Environment:
#   HYGIE_TEST_POSTGRES_URL      server for the PostgreSQL run
#                                (default postgresql://postgres@127.0.0.1:5432/postgres;
#                                pytest-django creates and drops test_* databases there,
#                                one per xdist worker)
#   HYGIE_TEST_REQUIRE_POSTGRES  1: an unreachable PostgreSQL fails instead of skipping
#   HYGIE_TEST_WORKERS           pytest-xdist workers (default 2)
#   HYGIE_TEST_REPORT            file to which one line "<database> <pytest exit code>"
#                                is appended per run (.ci/run reads it)
#
# Exit code: pytest's. When the two runs differ, a real failure wins over exit 5
# (no tests collected), which wins over success.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTEST=.venv/bin/pytest
PYTHON=.venv/bin/python
PG_URL=${HYGIE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
WORKERS=${HYGIE_TEST_WORKERS:-2}
REPORT=${HYGIE_TEST_REPORT:-}
# Browser tests drive Debian's Chromium (see `make chromium`), never a downloaded one.
export HYGIE_CHROMIUM=${HYGIE_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$PYTEST" ]; then
    echo "error: $PYTEST missing: run 'make dev' first" >&2
    exit 1
fi

# The URL without its password, for messages.
PG_SHOWN=$(printf '%s' "$PG_URL" | sed -E 's#(//[^:/@]+):[^@]*@#\1:***@#')

overall=0
combine() {  # combine EXIT_CODE: keep the most serious result so far
    local rc=$1
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        [ "$overall" -eq 0 ] || [ "$overall" -eq 5 ] && overall=$rc
    elif [ "$rc" -eq 5 ] && [ "$overall" -eq 0 ]; then
        overall=5
    fi
    return 0
}

run_suite() {  # run_suite LABEL [VAR=VALUE...] : one full pytest run in a fresh data dir
    local label=$1; shift
    local data_dir rc
    data_dir=$(mktemp -d "${TMPDIR:-/tmp}/hygie-test-$label.XXXXXX")
    # Created up front so parallel workers don't race to create it on first import.
    "$PYTHON" -c 'import secrets, sys; print(secrets.token_urlsafe(50))' >"$data_dir/secret_key"
    chmod 600 "$data_dir/secret_key"
    echo
    echo "=== Test suite on $label (HYGIE_DATA_DIR=$data_dir, $WORKERS workers)"
    env -u DATABASE_URL -u DATABASE_URL_FILE HYGIE_DATA_DIR="$data_dir" "$@" \
        "$PYTEST" -n "$WORKERS" "${PYTEST_EXTRA[@]}"
    rc=$?
    rm -rf "$data_dir"
    echo "=== $label: pytest exit code $rc"
    [ -z "$REPORT" ] || echo "$label $rc" >>"$REPORT"
    combine "$rc"
}

PYTEST_EXTRA=("$@")

run_suite sqlite

if "$PYTHON" - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except Exception as exc:  # any failure means "not reachable" here
    print(f"PostgreSQL probe failed: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
PY
then
    run_suite postgresql DATABASE_URL="$PG_URL"
elif [ "${HYGIE_TEST_REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo
    echo "error: PostgreSQL not reachable at $PG_SHOWN and HYGIE_TEST_REQUIRE_POSTGRES=1: PostgreSQL run FAILED" >&2
    [ -z "$REPORT" ] || echo "postgresql unreachable" >>"$REPORT"
    combine 1
else
    echo
    echo "PostgreSQL not reachable at $PG_SHOWN: PostgreSQL run SKIPPED"
    echo "(set HYGIE_TEST_POSTGRES_URL, or HYGIE_TEST_REQUIRE_POSTGRES=1 to make this an error)"
    [ -z "$REPORT" ] || echo "postgresql skipped" >>"$REPORT"
fi

exit "$overall"
