#!/usr/bin/env bash
# The HTTP API against its own OpenAPI document, with schemathesis (PyPI, pinned in
# install-deps.sh): every check, every phase (examples, coverage, fuzzing, stateful), zero failures.
#
# Runs `practice serve` on loopback over a private embedded cluster holding the demo practice,
# as the owner's token (the role that may call every route). Usage: scripts/schemathesis.sh [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build --show-bin-path)/practice}"

work="$(mktemp -d /tmp/practice-schemathesis-XXXXXX)"
chmod 755 "$work"
export PRACTICE_DATA_DIR="$work/cluster"
unset DATABASE_URL
server=""
cleanup() {
    [[ -n "$server" ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    "$bin" db stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$bin" demo >/dev/null
token="$("$bin" staff token 1 --expires 1d --label schemathesis 2>/dev/null)"

# Port 0: the server picks a free port and logs it. schemathesis sends many deliberately bad
# tokens from this one address; the limiter would answer them 429 (its own test covers it).
PRACTICE_LOG_LEVEL=info "$bin" serve --port 0 --failed-token-limit 1000000 2>"$work/serve.log" &
server=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)"
    [[ -n "$port" ]] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.2
done
[[ -n "$port" ]] || { echo "schemathesis.sh: the server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }

cd "$work"
cp "$OLDPWD/schemathesis.toml" .
status=0
schemathesis --config-file schemathesis.toml run "http://127.0.0.1:$port/openapi.yaml" \
    --checks all --phases examples,coverage,fuzzing,stateful \
    --header "Authorization: Bearer $token" \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" --seed "${SCHEMATHESIS_SEED:-20261126}" --workers 2 \
    --request-timeout 30 --no-color || status=$?
if grep -q "status=500" serve.log; then
    echo "schemathesis.sh: the server answered 500:" >&2
    grep "status=500" serve.log | head >&2
    status=1
fi
exit $status
