#!/usr/bin/env bash
# Point-in-time recovery: a new copy of the cluster, as it was at a given moment.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: recover.sh --base BASE_DIR --archive ARCHIVE_DIR --target-time 'YYYY-MM-DD HH:MM:SS+00'
                  --into NEW_DATA_DIR [--socket-dir DIR] [--port N] [--log FILE]
                  [--start] [--timeout SECONDS]

Builds a NEW cluster from a base backup (base-backup.sh) and the WAL archive
(enable-archiving.sh), replayed up to --target-time: every transaction committed before that
moment is in the copy, none committed after it. The original cluster is never touched: the copy
gets its own socket folder, listens on no TCP port, and does not archive.

  --base DIR          A base backup folder (plain, or --tar's base.tar.gz and pg_wal.tar.gz).
  --archive DIR       The WAL archive folder (read only).
  --target-time T     With its UTC offset, e.g. '2026-11-26 14:05:00+00' or
                      '2026-11-26 09:05:00-05:00'. It must be after the base backup started.
  --into DIR          The new data folder; must not exist or be empty. Named .../pgdata, its
                      socket folder defaults to .../run and its log to .../postgres.log: the
                      embedded layout, so `PRACTICE_DATA_DIR=... practice` works on the copy.
  --socket-dir DIR    The copy's unix socket folder (default: see --into, otherwise the new
                      data folder itself). Must not be the original's.
  --port N            The copy's port number, part of the socket's name (default 5432).
  --log FILE          The server log when started (default: see --into, otherwise
                      NEW_DATA_DIR/log/postgres.log).
  --start             Start the copy, wait until it has replayed to the target and been
                      promoted (a cluster of its own, read-write), print how to connect.
  --timeout S         How long --start waits for the server to start, and then for recovery
                      to end (default 60 each).

As root, the copy belongs to the postgres user and its server runs as postgres.
Exit status 0 done, 1 refused or failed (one line on stderr says why), 64 bad usage.
EOF
}

die() { echo "recover.sh: $*" >&2; exit 1; }
bad_usage() { echo "recover.sh: $*; see --help" >&2; exit 64; }
note() { echo "$*" >&2; }

base="" archive="" target="" into="" socket_dir="" port=5432 log_file="" start=0 wait_s=60
while (($# > 0)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --base|--archive|--target-time|--into|--socket-dir|--port|--log|--timeout)
            (($# >= 2)) || bad_usage "$1 needs a value"
            case "$1" in
                --base) base="$2" ;;
                --archive) archive="$2" ;;
                --target-time) target="$2" ;;
                --into) into="$2" ;;
                --socket-dir) socket_dir="$2" ;;
                --port) port="$2" ;;
                --log) log_file="$2" ;;
                --timeout) wait_s="$2" ;;
            esac
            shift 2 ;;
        --start) start=1; shift ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
done
[[ -n "$base" ]] || bad_usage "--base is required"
[[ -n "$archive" ]] || bad_usage "--archive is required"
[[ -n "$target" ]] || bad_usage "--target-time is required"
[[ -n "$into" ]] || bad_usage "--into is required"
[[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || bad_usage "--port must be 1 to 65535, not '$port'"
[[ "$wait_s" =~ ^[0-9]+$ && "$wait_s" -ge 1 && "$wait_s" -le 3600 ]] || bad_usage "--timeout must be 1 to 3600 seconds, not '$wait_s'"

# A moment with its offset: without one the server would read it in its own time zone.
time_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})? ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$'
[[ "$target" =~ $time_re ]] || die "--target-time '$target' is not 'YYYY-MM-DD HH:MM:SS+00' (with its UTC offset)"
target_epoch="$(date -u -d "$target" +%s 2>/dev/null)" || die "--target-time '$target' is not a valid moment"
(( target_epoch <= $(date -u +%s) + 60 )) || die "--target-time '$target' is in the future"

base="$(realpath -e -- "$base" 2>/dev/null)" || die "--base: $base does not exist"
archive="$(realpath -e -- "$archive" 2>/dev/null)" || die "--archive: $archive does not exist"
[[ -d "$archive" ]] || die "--archive: $archive is not a folder"
case "$into" in /*) ;; *) into="$(pwd)/$into" ;; esac
into="$(realpath -m -- "$into")"
if [[ "$archive" == *[\'\"\\\$\`%]* || "$archive" == *$'\n'* ]]; then
    die "the archive folder '$archive' has a quote, backslash, \$, \` or %; copy or link it to a plainer path"
fi

# The backup: plain (backup_label) or tar (base.tar*).
tar_base="" tar_wal=""
if [[ -f "$base/backup_label" && -f "$base/PG_VERSION" ]]; then
    version="$(<"$base/PG_VERSION")"
    label="$(<"$base/backup_label")"
else
    tar_base="$(find "$base" -maxdepth 1 -name 'base.tar*' | head -n 1)"
    [[ -n "$tar_base" ]] || die "--base: $base is not a base backup (no backup_label, no base.tar)"
    tar_wal="$(find "$base" -maxdepth 1 -name 'pg_wal.tar*' | head -n 1)"
    version="$(tar -xOf "$tar_base" PG_VERSION 2>/dev/null)" || die "$tar_base holds no PG_VERSION"
    label="$(tar -xOf "$tar_base" backup_label 2>/dev/null)" || die "$tar_base holds no backup_label"
fi
version="$(tr -d '[:space:]' <<<"$version")"
[[ "$version" =~ ^[0-9]+$ ]] || die "the backup's PG_VERSION is not a version number"
backup_start="$(sed -n 's/^START TIME: //p' <<<"$label")"
if [[ -n "$backup_start" ]]; then
    start_epoch="$(date -u -d "$backup_start" +%s 2>/dev/null || echo 0)"
    # START TIME has whole seconds: a target within that second may still follow the start.
    (( target_epoch >= start_epoch )) \
        || die "--target-time '$target' is before this base backup started ($backup_start); use an older base backup"
fi

bin="${PG_BIN_DIR:-/usr/lib/postgresql/$version/bin}"
for tool in pg_ctl pg_controldata postgres; do
    [[ -x "$bin/$tool" ]] || die "$bin/$tool is missing; the backup is PostgreSQL $version: apt-get install postgresql-$version (or set PG_BIN_DIR)"
done

# Who runs the copy.
if [[ $EUID -eq 0 ]]; then
    server_user=postgres
    id -u "$server_user" >/dev/null 2>&1 || die "there is no postgres user to run the copy (install postgresql)"
else
    server_user="$(id -un)"
fi
server_group="$(id -gn "$server_user")"
as_server() {
    if [[ $EUID -eq 0 ]]; then runuser -u "$server_user" -- "$@"; else "$@"; fi
}

# Where it lives and listens.
if [[ "$(basename "$into")" == pgdata ]]; then
    home="$(dirname "$into")"
    : "${socket_dir:=$home/run}"
    : "${log_file:=$home/postgres.log}"
else
    home=""
    : "${socket_dir:=$into}"
    : "${log_file:=$into/log/postgres.log}"
fi
case "$socket_dir" in /*) ;; *) socket_dir="$(pwd)/$socket_dir" ;; esac
socket_dir="$(realpath -m -- "$socket_dir")"
case "$log_file" in /*) ;; *) log_file="$(pwd)/$log_file" ;; esac
socket="$socket_dir/.s.PGSQL.$port"
(( ${#socket} <= 107 )) || die "the socket path $socket is ${#socket} bytes; unix sockets allow 107: choose a shorter --socket-dir"
if [[ "$socket_dir" == *[\'\\\ \&?#%]* || "$into" == *[\'\\]* ]]; then
    die "the new folders may not contain quotes or backslashes, nor the socket folder spaces, &, ?, # or %"
fi
if [[ -S "$socket" ]] && pg_isready -q -h "$socket_dir" -p "$port" -t 5; then
    die "a server already listens on $socket; choose another --socket-dir or --port"
fi
if [[ -e "$into" ]]; then
    [[ -d "$into" && ! -L "$into" ]] || die "--into: $into exists and is not a folder"
    [[ -z "$(ls -A -- "$into")" ]] || die "--into: $into is not empty; recover into a new folder"
fi
case "$into/" in "$base"/*) die "--into must be outside the base backup" ;; esac
case "$into/" in "$archive"/*) die "--into must be outside the archive" ;; esac

# ---------------------------------------------------------------------------------------------
# The copy.

if [[ -n "$home" ]]; then
    mkdir -p -- "$home"
    chmod 0700 -- "$home"
    if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$home"; fi
fi
mkdir -p -- "$(dirname "$into")"
mkdir -m 0700 -- "$into" 2>/dev/null || [[ -d "$into" ]] || die "cannot create $into"
cleanup_copy=1
trap '((cleanup_copy)) && rm -rf -- "$into"' EXIT
note "copying $base into $into ..."
if [[ -z "$tar_base" ]]; then
    cp -a -- "$base/." "$into/" || die "cannot copy $base"
    rm -f -- "$into/backup_manifest"
else
    tar -xf "$tar_base" -C "$into" || die "cannot unpack $tar_base"
    if [[ -n "$tar_wal" ]]; then
        mkdir -p -- "$into/pg_wal"
        tar -xf "$tar_wal" -C "$into/pg_wal" || die "cannot unpack $tar_wal"
    fi
fi
# What a standby or a previous attempt would have left.
rm -f -- "$into/standby.signal" "$into/postmaster.pid" "$into/postmaster.opts"

# A hosted (Debian) cluster keeps its configuration in /etc: the copy gets its own, minimal one.
if [[ ! -f "$into/postgresql.conf" ]]; then
    cat >"$into/postgresql.conf" <<EOF
# Written by deploy/pitr/recover.sh for a recovered copy (the original's configuration lives
# elsewhere). The settings that matter are in postgresql.auto.conf.
EOF
fi
if [[ ! -f "$into/pg_hba.conf" ]]; then
    cat >"$into/pg_hba.conf" <<EOF
# Written by deploy/pitr/recover.sh: only local users, each as the role of their own name
# (e.g. runuser -u postgres -- psql -h $socket_dir -p $port).
local   all   all   peer
EOF
fi
[[ -f "$into/pg_ident.conf" ]] || : >"$into/pg_ident.conf"
# Settings that would point the copy at the original's files.
sed -i -E 's/^([[:space:]]*(data_directory|hba_file|ident_file|external_pid_file)[[:space:]]*=)/# recover.sh: not for the copy: \1/' \
    "$into/postgresql.conf"

quote() { printf "'%s'" "${1//\'/\'\'}"; }
cat >>"$into/postgresql.auto.conf" <<EOF
# BEGIN recover.sh ($(date -u '+%Y-%m-%d %H:%M:%S UTC')): a recovered copy, not the original
listen_addresses = ''
port = $port
unix_socket_directories = $(quote "$socket_dir")
unix_socket_permissions = 0700
hot_standby = on
# It must not write into the original's archive.
archive_mode = off
restore_command = $(quote "cp \"$archive/%f\" \"%p\"")
recovery_target_time = $(quote "$target")
recovery_target_action = 'promote'
# END recover.sh
EOF
: >"$into/recovery.signal"

if [[ $EUID -eq 0 ]]; then chown -R "$server_user:$server_group" -- "$into"; fi
chmod 0700 -- "$into"
mkdir -p -- "$socket_dir"
chmod 0700 -- "$socket_dir"
if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$socket_dir"; fi
# The log (its folder only if it is a new one of ours: never someone's /var/log).
if [[ ! -d "$(dirname "$log_file")" ]]; then
    mkdir -p -- "$(dirname "$log_file")"
    chmod 0700 -- "$(dirname "$log_file")"
    if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$(dirname "$log_file")"; fi
fi
if [[ ! -e "$log_file" ]]; then (umask 077 && : >"$log_file"); fi
if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$log_file"; fi
as_server test -w "$log_file" || die "the $server_user user cannot write the log $log_file"
as_server test -r "$archive" -a -x "$archive" || die "the $server_user user cannot read the archive $archive"
as_server test -x "$into" || die "the $server_user user cannot reach $into (can it enter every folder above it?)"
# shellcheck disable=SC2034 # read by the EXIT trap
cleanup_copy=0
trap - EXIT

connect_hint() {
    local q="host=$socket_dir"
    ((port == 5432)) || q="$q&port=$port"
    if grep -q practice_backup "$into/pg_hba.conf" 2>/dev/null; then
        echo "  psql 'postgres://practice_backup@/massagepractice?$q'     (reads every row)"
        echo "  psql 'postgres://practice_owner@/massagepractice?$q'"
        if [[ -n "$home" && "$socket_dir" == "$home/run" && "$port" == 5432 ]]; then
            echo "  PRACTICE_DATA_DIR=$home practice client list"
        fi
    else
        echo "  psql -h $socket_dir -p $port -d DATABASE   (as a role its pg_hba.conf admits)"
    fi
    echo "stop it:  $( ((EUID == 0)) && echo "runuser -u $server_user -- ")$bin/pg_ctl stop -D $into -m fast"
}

if ((start == 0)); then
    note "ready in $into: it replays to $target when started:"
    note "  $( ((EUID == 0)) && echo "runuser -u $server_user -- ")$bin/pg_ctl start -w -D $into -l $log_file"
    note "then connect with:"
    connect_hint >&2
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Start it and wait until recovery has ended.

log_tail() { tail -n 15 -- "$log_file" | sed 's/^/  | /' >&2; }
# The archive stops short of the target: the copy is of no use, and the next try needs an empty folder.
not_reached() {
    rm -rf -- "$into"
    die "the archive ends before $target: the WAL after that moment is not archived yet (wait archive_timeout, see pg_stat_archiver on the original), then run this again; removed $into"
}
note "starting the copy (socket $socket) ..."
if ! as_server "$bin/pg_ctl" start -w -t "$wait_s" -D "$into" -l "$log_file" >/dev/null; then
    log_tail
    if grep -q 'recovery ended before configured recovery target was reached' "$log_file"; then
        not_reached
    fi
    if as_server "$bin/pg_ctl" status -D "$into" >/dev/null 2>&1; then
        die "the copy is still replaying after $wait_s s and keeps going; watch $log_file (stop it: pg_ctl stop -D $into)"
    fi
    die "the copy did not start; see $log_file"
fi

# pg_control says "in production" and postmaster.pid "ready" once recovery has ended and the
# copy was promoted: the state pg_is_in_recovery() = false, without needing a role to ask.
deadline=$((SECONDS + wait_s))
while :; do
    state="$("$bin/pg_controldata" -D "$into" 2>/dev/null | sed -n 's/^Database cluster state: *//p' || true)"
    pm_status="$(sed -n '8p' "$into/postmaster.pid" 2>/dev/null | tr -d ' ' || true)"
    if [[ "$state" == "in production" && "$pm_status" == ready ]]; then break; fi
    if ! as_server "$bin/pg_ctl" status -D "$into" >/dev/null 2>&1; then
        log_tail
        if grep -q 'recovery ended before configured recovery target was reached' "$log_file"; then
            not_reached
        fi
        die "the copy stopped during recovery; see $log_file"
    fi
    if ((SECONDS >= deadline)); then
        log_tail
        die "recovery had not ended after $wait_s s (state: $state); the copy is still running, see $log_file"
    fi
    sleep 0.5
done
grep -E 'recovery stopping|last completed transaction|selected new timeline' "$log_file" | sed 's/^/  /' >&2 || true
# Promoted: the recovery settings have done their work. Left in place, they would travel in every
# base backup of this copy, and a standby made from one would stop at this old target.
auto="$into/postgresql.auto.conf"
grep -Ev '^(restore_command|recovery_target_time|recovery_target_action) = ' "$auto" >"$auto.new"
echo "# recover.sh: recovered to $target on $(date -u '+%Y-%m-%d %H:%M:%S UTC'), promoted; recovery settings removed" >>"$auto.new"
if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$auto.new"; fi
chmod 0600 -- "$auto.new"
mv -f -- "$auto.new" "$auto"
note "recovered to $target and promoted: $into"
note "connect with:"
connect_hint >&2
echo "$into"
