#!/usr/bin/env bash
# Builds the release binary a server runs: optimised, with Swift's runtime and Foundation linked
# in (--static-swift-stdlib), so the machine needs no Swift toolchain, only Debian's libc, cairo
# and pango (apt-get install -y libcairo2 libpango-1.0-0 libpangocairo-1.0-0) and PostgreSQL's
# client programs for backups.
#
#   deploy/build-release.sh            builds .build/release/practice and checks it
#   deploy/build-release.sh --check    only checks an existing build
#
# The check: `ldd` lists no Swift library, and `practice --version` names the commit.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --check|"") ;;
    *) echo "build-release: unknown option $1 (try --help)" >&2; exit 64 ;;
esac

if [[ "${1:-}" != --check ]]; then
    swift build -c release --static-swift-stdlib --product practice
fi
bin="$(swift build -c release --show-bin-path)/practice"
[[ -x "$bin" ]] || { echo "build-release: $bin is missing; run deploy/build-release.sh" >&2; exit 1; }

libraries="$(ldd "$bin")"
# Any shared library from the toolchain: the Swift runtime, Foundation, ICU, dispatch, blocks.
if grep -Ei 'swift|foundation|icu|dispatch|BlocksRuntime' <<<"$libraries"; then
    echo "build-release: $bin still links the Swift libraries above" >&2
    exit 1
fi
if grep -q 'not found' <<<"$libraries"; then
    echo "build-release: $bin needs libraries this machine lacks:" >&2
    grep 'not found' <<<"$libraries" >&2
    exit 1
fi
version="$("$bin" --version)"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
[[ "$version" == *"commit $commit"* ]] || { echo "build-release: --version says '$version', expected commit $commit" >&2; exit 1; }
echo "$bin: $version; $(stat -c %s "$bin") bytes; $(wc -l <<<"$libraries") shared libraries, none of them Swift's"
