#!/usr/bin/env bash
# Installs the system packages MassagePractice needs, if they are missing (Debian 12).
# Safe to run again: with everything present it does nothing and asks no registry.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/btree_gist.control >/dev/null 2>&1 || need+=(postgresql-contrib)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)

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
