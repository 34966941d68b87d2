#!/usr/bin/env bash
# Quick start, step 2: the whole test suite against a real PostgreSQL.
#
# Starts a throwaway cluster with `practice db start` in a temporary data folder (the same code
# path as the embedded default), points the tests at it, and always stops and removes it, even
# when the tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

swift build --build-tests
bin="$(swift build --show-bin-path)"
export PRACTICE_BIN="$bin/practice"

data="$(mktemp -d /tmp/practice-test-XXXXXX)"
chmod 755 "$data"
cleanup() {
    PRACTICE_DATA_DIR="$data/cluster" "$PRACTICE_BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT INT TERM

unset DATABASE_URL
PRACTICE_DATA_DIR="$data/cluster" "$PRACTICE_BIN" db start
# Tests create their databases as the owner role and use them as the app role, like `practice`.
export PRACTICE_TEST_DATABASE_URL="$(PRACTICE_DATA_DIR="$data/cluster" "$PRACTICE_BIN" db url --owner | sed 's|/massagepractice?|/postgres?|')"
export PRACTICE_TEST_APP_USER=practice_user
export PRACTICE_TEST_CLUSTER="$data/cluster"
export PRACTICE_TEST_SCRATCH="$data"

# The HTTP contract check runs beside the Swift tests (it has its own cluster and server), and
# both must pass. Its output is shown when it ends.
contract_log="$data/schemathesis.log"
if (($# == 0)); then
    timeout --signal=INT 20m scripts/schemathesis.sh "$PRACTICE_BIN" >"$contract_log" 2>&1 &
    contract=$!
fi

# A hung test must fail the run, not stall it until CI gives up.
status=0
timeout --signal=INT 40m swift test --skip-build "$@" || status=$?

if (($# == 0)); then
    contract_status=0
    wait "$contract" || contract_status=$?
    echo "── schemathesis (scripts/schemathesis.sh) ──"
    tail -40 "$contract_log"
    ((contract_status == 0)) || { echo "schemathesis found failures (exit $contract_status)" >&2; status=1; }
fi
exit $status
