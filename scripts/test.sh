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
# The binary a server runs (deploy/build-release.sh: release, Swift's libraries linked in); the
# tests check what it links and that it names its commit.
deploy/build-release.sh
export PRACTICE_RELEASE_BIN="$(swift build -c release --show-bin-path)/practice"

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

# Four parts, one after another, all of which must pass:
#  1. the Swift tests, in parallel;
#  2. scripts/schemathesis.sh: the HTTP API against its OpenAPI document (its own cluster and server);
#  3. the suites that measure how fast a lost or restarted database is noticed, on an otherwise
#     idle machine: on two cores under the whole suite, their clocks measure the CPU queue rather
#     than the code.
# With arguments, only `swift test ARGUMENTS`.
timed='LostConnectionTests|ServeProcessTests'
status=0
if (($# > 0)); then
    # A hung test must fail the run, not stall it until CI gives up.
    timeout --signal=INT 40m swift test --skip-build "$@" || status=$?
    exit $status
fi

timeout --signal=INT 40m swift test --skip-build --skip "$timed" || status=$?

echo "── schemathesis (scripts/schemathesis.sh) ──"
timeout --signal=INT 20m scripts/schemathesis.sh "$PRACTICE_BIN" || { echo "schemathesis found failures" >&2; status=1; }

echo "── timing suites ($timed) ──"
timeout --signal=INT 20m swift test --skip-build --filter "$timed" || status=$?

# 4. The benchmark at its small scale, as a smoke test: it fails the run only if it breaks, never
#    on a figure (bench/run --scale full is the measurement; README "Speed at scale").
echo "── bench/run --scale small ──"
timeout --signal=INT 15m bench/run --scale small --reps 3 || { echo "bench/run --scale small failed" >&2; status=1; }
exit $status
