#!/usr/bin/env bash
# A streaming read replica (hot standby) of a practice database, for DATABASE_READ_URL.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: replica.sh PRIMARY_URL DIR [--socket-dir DIR] [--port N] [--log FILE] [--slot NAME]
                  [--app-user ROLE] [--no-start] [--timeout SECONDS]

Makes DIR a streaming standby of the primary: pg_basebackup -R -X stream copies the primary
and writes primary_conninfo and standby.signal, so that the copy replays every change the
primary makes, within a second or so, and answers read-only queries (hot_standby). It gets a
unix socket folder and port of its own and listens on no TCP port, so it never collides with a
primary on the same machine. Prints the URL for DATABASE_READ_URL on stdout.

  PRIMARY_URL       A role with REPLICATION on the primary, libpq form. Embedded default:
                    "$(practice db url --backup)", e.g.
                    postgres://practice_backup@/massagepractice?host=/var/lib/massagepractice/run
  DIR               The standby's data folder; must not exist or be empty. Named .../pgdata,
                    its socket folder defaults to .../run and its log to .../postgres.log (the
                    embedded layout); otherwise the socket goes into DIR itself and the log
                    into DIR/log/postgres.log.
  --socket-dir DIR  The standby's unix socket folder.
  --port N          Its port number, part of the socket's name (default 5432).
  --log FILE        Its server log.
  --slot NAME       Create a replication slot NAME on the primary and stream from it: the
                    primary keeps WAL until this standby has it, even if it is down for days.
                    Drop the slot when you retire the standby (SELECT pg_drop_replication_slot)
                    or the primary's disk fills up.
  --app-user ROLE   The login role in the printed URL (default practice_user).
  --no-start        Set it up, but do not start it.
  --timeout S       How long to wait for it to start and to stream (default 60).

As root, the standby belongs to the postgres user and its server runs as postgres.
Exit status 0 done, 1 refused or failed (one line on stderr says why), 64 bad usage.
EOF
}

die() { echo "replica.sh: $*" >&2; exit 1; }
bad_usage() { echo "replica.sh: $*; see --help" >&2; exit 64; }
note() { echo "$*" >&2; }
# A URL for messages: without its password.
redact() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#; s#(password=)[^& ]*#\1***#g' <<<"$1"; }

socket_dir="" port=5432 log_file="" slot="" app_user=practice_user start=1 wait_s=60
positional=()
while (($# > 0)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --socket-dir|--port|--log|--slot|--app-user|--timeout)
            (($# >= 2)) || bad_usage "$1 needs a value"
            case "$1" in
                --socket-dir) socket_dir="$2" ;;
                --port) port="$2" ;;
                --log) log_file="$2" ;;
                --slot) slot="$2" ;;
                --app-user) app_user="$2" ;;
                --timeout) wait_s="$2" ;;
            esac
            shift 2 ;;
        --no-start) start=0; shift ;;
        --) shift; positional+=("$@"); break ;;
        -*) bad_usage "unknown option '$1'" ;;
        *) positional+=("$1"); shift ;;
    esac
done
((${#positional[@]} == 2)) || bad_usage "expected PRIMARY_URL and DIR"
url="${positional[0]}"
dir="${positional[1]}"
[[ -n "$url" ]] || bad_usage "PRIMARY_URL is empty"
[[ -n "$dir" ]] || bad_usage "DIR is empty"
[[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || bad_usage "--port must be 1 to 65535, not '$port'"
[[ "$wait_s" =~ ^[0-9]+$ && "$wait_s" -ge 1 && "$wait_s" -le 3600 ]] || bad_usage "--timeout must be 1 to 3600 seconds, not '$wait_s'"
[[ -z "$slot" || "$slot" =~ ^[a-z0-9_]{1,63}$ ]] || bad_usage "--slot must be lower-case letters, digits and _, not '$slot'"
[[ "$app_user" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || bad_usage "--app-user must be a plain role name, not '$app_user'"

# Where it lives and listens.
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
dir="$(realpath -m -- "$dir")"
if [[ "$(basename "$dir")" == pgdata ]]; then
    home="$(dirname "$dir")"
    : "${socket_dir:=$home/run}"
    : "${log_file:=$home/postgres.log}"
else
    home=""
    : "${socket_dir:=$dir}"
    : "${log_file:=$dir/log/postgres.log}"
fi
case "$socket_dir" in /*) ;; *) socket_dir="$(pwd)/$socket_dir" ;; esac
socket_dir="$(realpath -m -- "$socket_dir")"
case "$log_file" in /*) ;; *) log_file="$(pwd)/$log_file" ;; esac
if [[ "$socket_dir" == *[\'\\\ \&?#%]* || "$dir" == *[\'\\]* ]]; then
    die "the standby's folders may not contain quotes, backslashes, spaces, &, ?, # or %"
fi
socket="$socket_dir/.s.PGSQL.$port"
(( ${#socket} <= 107 )) || die "the socket path $socket is ${#socket} bytes; unix sockets allow 107: choose a shorter --socket-dir"
if [[ -S "$socket" ]] && pg_isready -q -h "$socket_dir" -p "$port" -t 5; then
    die "a server already listens on $socket (the primary?); choose another --socket-dir or --port"
fi
if [[ -e "$dir" ]]; then
    [[ -d "$dir" && ! -L "$dir" ]] || die "$dir exists and is not a folder"
    [[ -z "$(ls -A -- "$dir")" ]] || die "$dir is not empty; a standby starts from an empty folder"
fi

# Never prompt for a password, never wait long for a primary that does not answer.
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

# The primary: reachable, and this role may stream from it?
check="$(psql -X -w -Atq -F ' ' -d "$url" -c "
    SELECT r.rolreplication OR r.rolsuper, current_user, current_database(),
           current_setting('server_version_num')::int / 10000, current_setting('wal_level'),
           current_setting('max_wal_senders')
    FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user" 2>&1)" \
    || die "cannot connect to the primary with $(redact "$url"): $(tr -s '\n\t' '  ' <<<"$check")"
read -r can_replicate role database version wal_level senders <<<"$check"
[[ "$can_replicate" == t ]] || die "$role has no REPLICATION attribute; use the backup role (practice db url --backup)"
[[ "$wal_level" != minimal ]] || die "the primary runs with wal_level = minimal; set it to replica and restart it"
((senders > 0)) || die "the primary allows no WAL senders (max_wal_senders = 0)"

bin="${PG_BIN_DIR:-/usr/lib/postgresql/$version/bin}"
for tool in pg_basebackup pg_ctl pg_controldata postgres; do
    [[ -x "$bin/$tool" ]] || die "$bin/$tool is missing; the primary runs PostgreSQL $version: apt-get install postgresql-$version (or set PG_BIN_DIR)"
done

if [[ $EUID -eq 0 ]]; then
    server_user=postgres
    id -u "$server_user" >/dev/null 2>&1 || die "there is no postgres user to run the standby (install postgresql)"
else
    server_user="$(id -un)"
fi
server_group="$(id -gn "$server_user")"
as_server() {
    if [[ $EUID -eq 0 ]]; then runuser -u "$server_user" -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------------------------------------
# The copy.

if [[ -n "$home" ]]; then
    mkdir -p -- "$home"
    chmod 0700 -- "$home"
    if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$home"; fi
fi
mkdir -p -- "$(dirname "$dir")"
cleanup_copy=1
trap '((cleanup_copy)) && rm -rf -- "$dir"' EXIT
slot_args=()
[[ -z "$slot" ]] || slot_args=(--create-slot --slot "$slot")
note "copying the primary into $dir ..."
"$bin/pg_basebackup" -d "$url" -D "$dir" -F plain -X stream --checkpoint=fast -R -w "${slot_args[@]}" \
    || die "pg_basebackup failed (see above)"
rm -f -- "$dir/backup_manifest" "$dir/recovery.signal"
[[ -f "$dir/standby.signal" ]] || die "pg_basebackup -R wrote no standby.signal"

# A hosted (Debian) primary keeps its configuration in /etc: the standby gets its own, minimal one.
if [[ ! -f "$dir/postgresql.conf" ]]; then
    cat >"$dir/postgresql.conf" <<EOF
# Written by deploy/replica.sh for a standby (the primary's configuration lives elsewhere).
# The settings that matter are in postgresql.auto.conf.
EOF
fi
if [[ ! -f "$dir/pg_hba.conf" ]]; then
    cat >"$dir/pg_hba.conf" <<EOF
# Written by deploy/replica.sh: only local users, each as the role of their own name. Add a line
# for the app's read role, e.g.:  local  all  practice_web  scram-sha-256
local   all   all   peer
EOF
fi
[[ -f "$dir/pg_ident.conf" ]] || : >"$dir/pg_ident.conf"
sed -i -E 's/^([[:space:]]*(data_directory|hba_file|ident_file|external_pid_file)[[:space:]]*=)/# replica.sh: not for the standby: \1/' \
    "$dir/postgresql.conf"

# A primary that was once a recovered copy may still carry recovery settings; a standby would
# stop replaying at that old target.
sed -i -E '/^[[:space:]]*(restore_command|recovery_target[a-z_]*)[[:space:]]*=/d' "$dir/postgresql.auto.conf"
# postgresql.auto.conf is read last: the copied postgresql.conf names the primary's socket folder.
quote() { printf "'%s'" "${1//\'/\'\'}"; }
cat >>"$dir/postgresql.auto.conf" <<EOF
# BEGIN replica.sh ($(date -u '+%Y-%m-%d %H:%M:%S UTC')): a standby of the primary above
listen_addresses = ''
port = $port
unix_socket_directories = $(quote "$socket_dir")
unix_socket_permissions = 0700
hot_standby = on
# END replica.sh
EOF

if [[ $EUID -eq 0 ]]; then chown -R "$server_user:$server_group" -- "$dir"; fi
chmod 0700 -- "$dir"
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
as_server test -x "$dir" || die "the $server_user user cannot reach $dir (can it enter every folder above it?)"
# shellcheck disable=SC2034 # read by the EXIT trap
cleanup_copy=0
trap - EXIT

read_url="postgres://$app_user@/$database?host=$socket_dir"
((port == 5432)) || read_url="$read_url&port=$port"
run_as=""
if [[ $EUID -eq 0 ]]; then run_as="runuser -u $server_user -- "; fi

if ((start == 0)); then
    note "standby ready in $dir; start it with:"
    note "  ${run_as}$bin/pg_ctl start -w -D $dir -l $log_file"
    echo "$read_url"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# Start it; wait until it answers queries, in recovery, with WAL streaming in.

log_tail() { tail -n 15 -- "$log_file" | sed 's/^/  | /' >&2; }
note "starting the standby (socket $socket) ..."
if ! as_server "$bin/pg_ctl" start -w -t "$wait_s" -D "$dir" -l "$log_file" >/dev/null; then
    log_tail
    die "the standby did not start within $wait_s s; see $log_file"
fi
conninfo="host='$socket_dir' port=$port user='$role' dbname='$database' connect_timeout=5"
deadline=$((SECONDS + wait_s))
state=""
while :; do
    state="$(psql -X -w -Atq -F ' ' -d "$conninfo" \
        -c "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn() IS NOT NULL" 2>/dev/null || true)"
    [[ "$state" == "t t" ]] && break
    as_server "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1 || { log_tail; die "the standby stopped; see $log_file"; }
    if ((SECONDS >= deadline)); then
        log_tail
        case "$state" in
            "") die "the standby runs but $role cannot log in over $socket_dir to check it (pg_hba.conf?); see $log_file" ;;
            "f "*) die "the standby is not in recovery (standby.signal missing?); stop it: ${run_as}$bin/pg_ctl stop -D $dir" ;;
            *) die "the standby runs but receives no WAL from the primary after $wait_s s; see $log_file" ;;
        esac
    fi
    sleep 0.5
done
note "standby streaming from the primary: $dir (socket $socket)"
note "stop it:   ${run_as}$bin/pg_ctl stop -D $dir -m fast"
note "promote:   ${run_as}$bin/pg_ctl promote -D $dir"
echo "$read_url"
