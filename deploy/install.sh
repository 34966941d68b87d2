#!/usr/bin/env bash
# Installs MassagePractice on a Debian server: the `practice` binary, its settings file, the
# massagepractice system user, its data folders and the systemd units. See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/install.sh [--prefix DIR] [--destdir DIR] [--binary PATH]

Installs MassagePractice for systemd (Debian 12):
  PREFIX/bin/practice                                  the binary (0755)
  /etc/massagepractice/practice.env                    settings (0640 root:massagepractice);
                                                       made from the template only if missing,
                                                       never overwritten
  /etc/massagepractice/practice.env.example            the current template, every time
  /usr/lib/systemd/system/practice-server.service      `practice serve` on 127.0.0.1:8080
  /usr/lib/systemd/system/practice-check.{service,timer}   daily check into the outbox, 06:30
  /usr/lib/systemd/system/practice-backup.{service,timer}  nightly encrypted backup, 02:15
  /usr/lib/sysusers.d/massagepractice.conf             the massagepractice system user and group
  /usr/lib/tmpfiles.d/massagepractice.conf             /var/lib/massagepractice (0700), with its
                                                       outbox and backups folders

On this system (no --destdir, as root) it also creates the user and the folders and reloads
systemd. With --destdir it only writes files under DIR (for packaging or tests): no user, no
folders, no systemctl.

Options:
  --prefix DIR    where the binary goes, as the units name it (default /usr/local)
  --destdir DIR   install under DIR instead of / (default: this system)
  --binary PATH   the binary to install (default .build/release/practice in the repository,
                  built by deploy/build-release.sh)
  -h, --help      this help

Then: edit /etc/massagepractice/practice.env, and
  systemctl enable --now practice-server.service practice-check.timer practice-backup.timer
EOF
}

die() { echo "install.sh: $*" >&2; exit 2; }    # bad input
fail() { echo "install.sh: $*" >&2; exit 1; }   # could not install

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=/usr/local
destdir=
binary="$repo/.build/release/practice"

while (($# > 0)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --prefix | --destdir | --binary)
            (($# >= 2)) || die "$1 needs a value (see --help)"
            value="$2"; option="$1"; shift 2 ;;
        --prefix=* | --destdir=* | --binary=*)
            option="${1%%=*}"; value="${1#*=}"; shift ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    [[ -n "$value" ]] || die "$option needs a value (see --help)"
    case "$option" in
        --prefix) prefix="$value" ;;
        --destdir) destdir="$value" ;;
        --binary) binary="$value" ;;
    esac
done

# The prefix is written into the units' command lines: an absolute path of plain characters, so
# that neither sed nor systemd's command-line parsing (spaces, quotes, %, $, \) can change it.
[[ "$prefix" == /* ]] || die "--prefix must be an absolute path: $prefix"
[[ "$prefix" =~ ^[A-Za-z0-9._/+-]+$ ]] || die "--prefix may only hold letters, digits and . _ / + -: $prefix"
while [[ "$prefix" == */ && "$prefix" != / ]]; do prefix="${prefix%/}"; done
[[ "$prefix" != / ]] || die "--prefix must not be /"

if [[ -n "$destdir" ]]; then
    [[ "$destdir" == /* ]] || destdir="$PWD/$destdir"
    while [[ "$destdir" == */ ]]; do destdir="${destdir%/}"; done
    [[ ! -e "$destdir" || -d "$destdir" ]] || die "--destdir is not a directory: $destdir"
fi
live=0
[[ -n "$destdir" ]] || live=1

[[ -f "$binary" ]] || fail "no practice binary at $binary: build it with deploy/build-release.sh, or give --binary PATH"
[[ -x "$binary" ]] || fail "$binary is not executable"

units_src="$repo/deploy/systemd"
env_template="$repo/deploy/practice.env.example"
units=(practice-server.service practice-check.service practice-check.timer
       practice-backup.service practice-backup.timer)
for f in "${units[@]/#/$units_src/}" "$units_src/massagepractice.sysusers" "$units_src/massagepractice.tmpfiles" "$env_template"; do
    [[ -f "$f" ]] || fail "missing $f: run install.sh from a complete copy of the repository"
done

datadir=/var/lib/massagepractice
if ((live)); then
    [[ $(id -u) -eq 0 ]] || fail "installing on this system needs root (or give --destdir DIR to install into a folder)"
    # `practice` run as root (the quick start's demo) keeps its cluster right in the data folder,
    # owned by postgres; the services' folder permissions would lock that cluster out.
    if [[ -e "$datadir/pgdata" ]]; then
        fail "$datadir/pgdata is a cluster made by running practice as root; the services keep theirs in $datadir/embedded: back it up (pg_dump), stop it (practice db stop) and remove or move it first"
    fi
fi

umask 022

D="$destdir"
bindir="$prefix/bin"
unitdir=/usr/lib/systemd/system
etcdir=/etc/massagepractice
sysusers=/usr/lib/sysusers.d/massagepractice.conf
tmpfiles=/usr/lib/tmpfiles.d/massagepractice.conf

installed() { printf '  %-4s %s\n' "$1" "$D$2"; }

echo "install.sh: installing into ${destdir:-/} (prefix $prefix)"

# The binary: copied beside the old one and renamed over it, so a running server keeps its file
# and a half-copied binary is never started.
install -d -m 0755 "$D$bindir"
install -m 0755 "$binary" "$D$bindir/.practice.new"
mv -f "$D$bindir/.practice.new" "$D$bindir/practice"
installed 0755 "$bindir/practice"

# The units, with the prefix in their command lines (written beside the old ones, then renamed).
install -d -m 0755 "$D$unitdir"
for unit in "${units[@]}"; do
    new="$D$unitdir/.$unit.new"
    sed "s|@PREFIX@|$prefix|g" "$units_src/$unit" >"$new"
    if grep -q '@[A-Z_]*@' "$new"; then rm -f "$new"; fail "$unit: a placeholder is left after substitution"; fi
    chmod 0644 "$new"
    mv -f "$new" "$D$unitdir/$unit"
    installed 0644 "$unitdir/$unit"
done

install -d -m 0755 "$D${sysusers%/*}" "$D${tmpfiles%/*}"
install -m 0644 "$units_src/massagepractice.sysusers" "$D$sysusers"
installed 0644 "$sysusers"
install -m 0644 "$units_src/massagepractice.tmpfiles" "$D$tmpfiles"
installed 0644 "$tmpfiles"

# The user and group first, so that the settings can be given to its group.
if ((live)); then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$sysusers"
    elif ! getent passwd massagepractice >/dev/null; then
        useradd --system --user-group --home-dir "$datadir" --shell /usr/sbin/nologin \
            --comment MassagePractice massagepractice
    fi
    getent passwd massagepractice >/dev/null || fail "the massagepractice user was not created"
fi

# Settings: the template every time; practice.env only when there is none.
install -d -m 0750 "$D$etcdir"
if ((live)); then chown root:massagepractice "$D$etcdir"; fi
install -m 0644 "$env_template" "$D$etcdir/practice.env.example"
installed 0644 "$etcdir/practice.env.example"
if [[ -e "$D$etcdir/practice.env" || -L "$D$etcdir/practice.env" ]]; then
    echo "  kept $D$etcdir/practice.env (existing settings are never overwritten)"
    mode="$(stat -c %a "$D$etcdir/practice.env")"
    if (( (8#$mode & 8#007) != 0 )); then
        echo "install.sh: warning: $D$etcdir/practice.env is mode $mode, readable by everyone; it holds passwords: chmod 0640 it" >&2
    fi
else
    install -m 0640 "$env_template" "$D$etcdir/practice.env"
    if ((live)); then chown root:massagepractice "$D$etcdir/practice.env"; fi
    installed 0640 "$etcdir/practice.env"
fi

if ((live)); then
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create "$tmpfiles"
    else
        for dir in "$datadir" "$datadir/outbox" "$datadir/backups"; do
            install -d -m 0700 -o massagepractice -g massagepractice "$dir"
        done
    fi
    echo "  0700 $datadir, $datadir/outbox, $datadir/backups (massagepractice)"
    if [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
        echo "install.sh: systemd reloaded"
    else
        echo "install.sh: systemd is not running here; the units are read when it starts"
    fi
    cat <<EOF

Next steps:
  1. Edit $etcdir/practice.env: the database (embedded by default) and the backup
     recipient (PRACTICE_BACKUP_RECIPIENT, an age public key).
  2. systemctl enable --now practice-server.service practice-check.timer practice-backup.timer
     (after an upgrade: systemctl restart practice-server.service)
  3. Create the practice and its staff as the service user, e.g.
     runuser -u massagepractice -- sh -c 'set -a; . $etcdir/practice.env; exec $bindir/practice setup --name "My Practice" --timezone America/New_York'
  Logs: journalctl -u practice-server.service
EOF
else
    echo "install.sh: --destdir: no user, folders or systemctl; on the target, systemd-sysusers and systemd-tmpfiles create them from the files above"
fi
