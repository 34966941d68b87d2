#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and run `practice demo` on the embedded
# default database (a private PostgreSQL cluster under PRACTICE_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product practice
exec "$(swift build --show-bin-path)/practice" demo "$@"
