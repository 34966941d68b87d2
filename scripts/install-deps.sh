#!/usr/bin/env bash
# Installs the system packages MassagePractice needs, if they are missing (Debian 12).
# Safe to run again: with everything present it does nothing and asks no registry.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/btree_gist.control >/dev/null 2>&1 || need+=(postgresql-contrib)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
# PDF reports: cairo + pango to typeset, DejaVu fonts, poppler-utils to read PDFs back in tests.
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
[[ -f /usr/include/cairo/cairo-pdf.h ]] || need+=(libcairo2-dev)
[[ -f /usr/include/pango-1.0/pango/pangocairo.h ]] || need+=(libpango1.0-dev)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# The HTTP API's TLS test makes a self-signed certificate.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# deploy/: encrypted backups (age), systemd units checked with systemd-analyze, load tests (wrk).
command -v age >/dev/null 2>&1 || need+=(age)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# bench/run: pgbench beside wrk (PostgreSQL's client programs), curl for the server's readiness,
# GNU time for peak memory.
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql-client)
command -v curl >/dev/null 2>&1 || need+=(curl)
[[ -x /usr/bin/time ]] || need+=(time)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-deps: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
    echo "install-deps: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package starts its own cluster on 5432; we never use it, and we leave it alone.

# The independent FHIR validator the tests use (PyPI, pinned).
FHIR_RESOURCES_VERSION=8.1.0
if ! python3 -c "import fhir.resources, sys; sys.exit(fhir.resources.__version__ != '$FHIR_RESOURCES_VERSION')" 2>/dev/null; then
    echo "install-deps: installing fhir.resources==$FHIR_RESOURCES_VERSION" >&2
    python3 -m pip install -q "fhir.resources==$FHIR_RESOURCES_VERSION"
fi

# The HTTP API's independent contract checker (PyPI, pinned).
SCHEMATHESIS_VERSION=4.32.5
if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" 2>/dev/null \
   || ! command -v schemathesis >/dev/null 2>&1; then
    echo "install-deps: installing schemathesis==$SCHEMATHESIS_VERSION" >&2
    python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
