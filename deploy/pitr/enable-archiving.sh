#!/usr/bin/env bash
# Turns on WAL archiving (deploy/pitr/archiving.conf) for point-in-time recovery.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: enable-archiving.sh --archive DIR (--embedded PRACTICE_DATA_DIR | --data-dir PGDATA | --conf-dir CONF_D)
                           [--archive-timeout SECONDS] [--restart] [--practice PATH] [--log FILE]

Installs deploy/pitr/archiving.conf, with DIR as its archive folder, into a cluster's
configuration, and creates DIR (owned by the server's user, mode 0700). Every finished WAL
segment is then copied into DIR; with a base backup (base-backup.sh) that lets recover.sh
rebuild the database as it was at any moment since.

  --archive DIR           The archive folder: absolute, outside the data folder, ideally on
                          another disk. Created if missing.
  --embedded FOLDER       The embedded default cluster (PRACTICE_DATA_DIR; FOLDER/pgdata). The
                          settings go into FOLDER/pgdata/pitr-archiving.conf, included from
                          postgresql.conf above the part `practice` rewrites.
  --data-dir PGDATA       A server whose postgresql.conf is in PGDATA: the settings go into
                          PGDATA/pitr-archiving.conf, included at the end of postgresql.conf.
                          A Debian cluster's data folder (/var/lib/postgresql/15/main) is taken
                          as --conf-dir /etc/postgresql/15/main/conf.d.
  --conf-dir CONF_D       A folder the server includes (Debian: /etc/postgresql/15/main/conf.d):
                          the settings go into CONF_D/pitr-archiving.conf.
  --archive-timeout S     Force a segment switch after S seconds with writes (default 60).
  --restart               Restart the server so that archive_mode takes effect (embedded:
                          `practice db stop` then `practice db start`; Debian: pg_ctlcluster;
                          else pg_ctl restart). Without it, restart it yourself.
  --practice PATH         The `practice` binary for --embedded --restart (default: $PRACTICE_BIN,
                          `practice` on the PATH, or this checkout's .build/{release,debug}).
  --log FILE              The server log for --data-dir --restart (default PGDATA/log/postgres.log,
                          where recover.sh's copies log).

Run as root (or as the server's user). Exit status 0 done, 1 refused or failed, 64 bad usage.
EOF
}

die() { echo "enable-archiving.sh: $*" >&2; exit 1; }
bad_usage() { echo "enable-archiving.sh: $*; see --help" >&2; exit 64; }
note() { echo "$*" >&2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
archive="" embedded="" data_dir="" conf_dir="" timeout_s="" restart=0 practice_bin="" log_file=""
while (($# > 0)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --archive) (($# >= 2)) || bad_usage "--archive needs a folder"; archive="$2"; shift 2 ;;
        --embedded) (($# >= 2)) || bad_usage "--embedded needs a folder"; embedded="$2"; shift 2 ;;
        --data-dir) (($# >= 2)) || bad_usage "--data-dir needs a folder"; data_dir="$2"; shift 2 ;;
        --conf-dir) (($# >= 2)) || bad_usage "--conf-dir needs a folder"; conf_dir="$2"; shift 2 ;;
        --archive-timeout) (($# >= 2)) || bad_usage "--archive-timeout needs seconds"; timeout_s="$2"; shift 2 ;;
        --restart) restart=1; shift ;;
        --practice) (($# >= 2)) || bad_usage "--practice needs a path"; practice_bin="$2"; shift 2 ;;
        --log) (($# >= 2)) || bad_usage "--log needs a file"; log_file="$2"; shift 2 ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
done

[[ -n "$archive" ]] || bad_usage "--archive DIR is required"
targets=0
for t in "$embedded" "$data_dir" "$conf_dir"; do [[ -n "$t" ]] && targets=$((targets + 1)); done
((targets == 1)) || bad_usage "give exactly one of --embedded, --data-dir, --conf-dir"
if [[ -n "$timeout_s" ]] && ! [[ "$timeout_s" =~ ^[0-9]+$ && "$timeout_s" -ge 1 && "$timeout_s" -le 86400 ]]; then
    bad_usage "--archive-timeout must be a whole number of seconds from 1 to 86400, not '$timeout_s'"
fi
# The folder goes, double-quoted, into a shell command inside a single-quoted setting.
case "$archive" in
    /*) ;;
    *) archive="$(pwd)/$archive" ;;
esac
archive="$(realpath -m -- "$archive")"
if [[ "$archive" == *[\'\"\\\$\`%]* || "$archive" == *$'\n'* ]]; then
    die "the archive folder '$archive' has a quote, backslash, \$, \` or %; choose a plainer path"
fi
[[ "$archive" != "/" ]] || die "the archive folder cannot be /"

# ---------------------------------------------------------------------------------------------
# Where the settings go, and who the server runs as.

mode=""            # embedded | datadir | confd
pgdata=""          # the data folder, when known
conf_file=""       # the postgresql.conf that must include our file (embedded, datadir)
fragment=""        # the file we write
debian_cluster=""  # "15 main" for pg_ctlcluster
if [[ -n "$embedded" ]]; then
    mode=embedded
    embedded="$(realpath -e -- "$embedded" 2>/dev/null)" || die "--embedded: that folder does not exist"
    pgdata="$embedded/pgdata"
    [[ -f "$pgdata/PG_VERSION" ]] || die "--embedded: $pgdata holds no cluster; run \`PRACTICE_DATA_DIR=$embedded practice db start\` first"
    conf_file="$pgdata/postgresql.conf"
    fragment="$pgdata/pitr-archiving.conf"
elif [[ -n "$data_dir" ]]; then
    data_dir="$(realpath -e -- "$data_dir" 2>/dev/null)" || die "--data-dir: that folder does not exist"
    [[ -f "$data_dir/PG_VERSION" ]] || die "--data-dir: $data_dir is not a PostgreSQL data folder (no PG_VERSION)"
    pgdata="$data_dir"
    if [[ -f "$data_dir/postgresql.conf" ]]; then
        mode=datadir
        conf_file="$data_dir/postgresql.conf"
        fragment="$data_dir/pitr-archiving.conf"
    elif [[ "$data_dir" =~ ^/var/lib/postgresql/([0-9]+)/([^/]+)$ && -d "/etc/postgresql/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/conf.d" ]]; then
        mode=confd
        conf_dir="/etc/postgresql/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/conf.d"
    else
        die "--data-dir: $data_dir has no postgresql.conf; give the folder the server includes with --conf-dir"
    fi
fi
if [[ -n "$conf_dir" ]]; then
    mode=confd
    conf_dir="$(realpath -e -- "$conf_dir" 2>/dev/null)" || die "--conf-dir: that folder does not exist"
    [[ -d "$conf_dir" ]] || die "--conf-dir: $conf_dir is not a folder"
    fragment="$conf_dir/pitr-archiving.conf"
    main_conf="$(dirname "$conf_dir")/postgresql.conf"
    if [[ -f "$main_conf" ]]; then
        if ! grep -Eq "^[[:space:]]*include_dir[[:space:]]*=?[[:space:]]*'(conf\.d|$conf_dir)'" "$main_conf"; then
            note "warning: $main_conf has no active \`include_dir = 'conf.d'\` line; add one or the settings are not read"
        fi
        if [[ -z "$pgdata" ]]; then
            pgdata="$(sed -nE "s/^[[:space:]]*data_directory[[:space:]]*=?[[:space:]]*'([^']*)'.*/\1/p" "$main_conf" | tail -n 1)"
        fi
    fi
    if [[ "$conf_dir" =~ ^/etc/postgresql/([0-9]+)/([^/]+)/conf\.d$ ]]; then
        debian_cluster="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    fi
fi

if ((restart)) && [[ "$mode" == confd && -z "$debian_cluster" ]]; then
    die "--restart on a --conf-dir needs a Debian cluster (/etc/postgresql/VERSION/NAME/conf.d); restart the server yourself"
fi

# The server's user: whoever owns the data folder (or, on Debian, the configuration).
owner_of="${pgdata:-$(dirname "$fragment")}"
[[ -e "$owner_of" ]] || owner_of="$(dirname "$fragment")"
server_user="$(stat -c %U -- "$owner_of")"
server_group="$(stat -c %G -- "$owner_of")"
if [[ $EUID -ne 0 && "$server_user" != "$(id -un)" ]]; then
    die "$owner_of belongs to $server_user; run this as root or as $server_user"
fi
as_server() {
    if [[ $EUID -eq 0 && "$server_user" != root ]]; then runuser -u "$server_user" -- "$@"; else "$@"; fi
}

if [[ -n "$pgdata" ]]; then
    case "$archive/" in
        "$(realpath -m -- "$pgdata")"/*) die "the archive folder must be outside the data folder $pgdata (a copy inside it dies with it)" ;;
    esac
fi

# Writes stdin to a file atomically (never through a link), with a mode and owner.
put_file() {
    local dest="$1" mode="$2" owner="$3" tmp
    [[ ! -L "$dest" ]] || die "$dest is a symbolic link; refusing to write through it"
    tmp="$dest.new.$$"
    rm -f -- "$tmp"
    (umask 077 && cat >"$tmp") || { rm -f -- "$tmp"; die "cannot write $tmp"; }
    chmod "$mode" -- "$tmp"
    if [[ $EUID -eq 0 ]]; then chown "$owner" -- "$tmp"; fi
    sync -- "$tmp" 2>/dev/null || true
    mv -f -- "$tmp" "$dest" || { rm -f -- "$tmp"; die "cannot write $dest"; }
}

# ---------------------------------------------------------------------------------------------
# The archive folder: the server's, private.

mkdir -p -- "$archive" || die "cannot create $archive"
[[ -d "$archive" && ! -L "$archive" ]] || die "$archive is not a folder"
if [[ $EUID -eq 0 ]]; then chown "$server_user:$server_group" -- "$archive"; fi
chmod 0700 -- "$archive"
as_server test -w "$archive" -a -x "$archive" \
    || die "the $server_user user cannot write to $archive (can it enter every folder above it?)"

# ---------------------------------------------------------------------------------------------
# The settings.

[[ -f "$here/archiving.conf" ]] || die "$here/archiving.conf is missing"
text="$(<"$here/archiving.conf")"
text="${text//@ARCHIVE_DIR@/"$archive"}"
if [[ -n "$timeout_s" ]]; then
    text="$(sed -E "s/^archive_timeout = .*/archive_timeout = ${timeout_s}s/" <<<"$text")"
fi
text="$(sed -E '/^# Do not include this file as it is/,/^#$/d' <<<"$text")"
header="# Installed by deploy/pitr/enable-archiving.sh on $(date -u '+%Y-%m-%d %H:%M:%S UTC'); archive: $archive"

# The embedded cluster: `practice` holds this lock while it creates, upgrades or starts it.
if [[ "$mode" == embedded ]]; then
    [[ ! -L "$embedded/.lock" ]] || die "$embedded/.lock is a symbolic link"
    exec 9>>"$embedded/.lock"
    flock -w 30 9 || die "$embedded is busy (another \`practice\` holds $embedded/.lock for over 30 s)"
fi

if [[ "$mode" == confd ]]; then
    printf '%s\n%s\n' "$header" "$text" | put_file "$fragment" 0644 "$server_user:$server_group"
else
    printf '%s\n%s\n' "$header" "$text" | put_file "$fragment" 0600 "$server_user:$server_group"
    include_line="include_if_exists = 'pitr-archiving.conf'"
    if ! grep -qxF "$include_line" "$conf_file"; then
        conf_mode="$(stat -c %a -- "$conf_file")"
        # shellcheck disable=SC2016 # the marker's backquotes are literal
        if [[ "$mode" == embedded ]] && grep -q '^# Added by `practice`' "$conf_file"; then
            # Above the marker: `practice` rewrites everything from its marker on, and keeps the rest.
            awk -v line="$include_line" '
                !done && /^# Added by `practice`/ {
                    print "# WAL archiving for point-in-time recovery (deploy/pitr/enable-archiving.sh)"
                    print line
                    done = 1
                }
                { print }' "$conf_file" | put_file "$conf_file" "$conf_mode" "$server_user:$server_group"
        else
            { cat -- "$conf_file"
              printf '\n# WAL archiving for point-in-time recovery (deploy/pitr/enable-archiving.sh)\n%s\n' "$include_line"
            } | put_file "$conf_file" "$conf_mode" "$server_user:$server_group"
        fi
    fi
fi

# postgresql.auto.conf is read last: a setting of ours there (e.g. recover.sh's archive_mode = off
# in a recovered copy that now becomes the primary) would win over the file just written.
auto="${pgdata:+$pgdata/postgresql.auto.conf}"
if [[ -n "$auto" && -f "$auto" ]] && grep -Eq '^[[:space:]]*(wal_level|archive_mode|archive_command|archive_library|archive_timeout)[[:space:]]*=' "$auto"; then
    note "removing from $auto, where they would override the new settings:"
    grep -E '^[[:space:]]*(wal_level|archive_mode|archive_command|archive_library|archive_timeout)[[:space:]]*=' "$auto" | sed 's/^/  /' >&2
    auto_mode="$(stat -c %a -- "$auto")"
    grep -Ev '^[[:space:]]*(wal_level|archive_mode|archive_command|archive_library|archive_timeout)[[:space:]]*=' "$auto" \
        | put_file "$auto" "$auto_mode" "$server_user:$server_group"
fi

if [[ "$mode" == embedded ]]; then
    exec 9>&-
fi

note "wrote $fragment (archive folder $archive, owned by $server_user, mode 0700)"

# ---------------------------------------------------------------------------------------------
# Restart: wal_level and archive_mode are read only when the server starts.

if ((restart == 0)); then
    case "$mode" in
        embedded) how="PRACTICE_DATA_DIR=$embedded practice db stop && PRACTICE_DATA_DIR=$embedded practice db start" ;;
        confd) if [[ -n "$debian_cluster" ]]; then how="pg_ctlcluster $debian_cluster restart"
               else how="restart the server the way it is run"; fi ;;
        *) how="pg_ctl restart -m fast -D $pgdata -l ${log_file:-$pgdata/log/postgres.log} (as $server_user)" ;;
    esac
    note "archiving starts when the server restarts (wal_level and archive_mode are read only at start): $how"
    if [[ "$mode" != confd || -n "$debian_cluster" ]]; then note "or run this again with --restart"; fi
    note "(if archiving was on already, a reload is enough for a new folder or timeout)"
    exit 0
fi

case "$mode" in
    embedded)
        if [[ -z "$practice_bin" ]]; then
            if [[ -n "${PRACTICE_BIN:-}" ]]; then practice_bin="$PRACTICE_BIN"
            elif command -v practice >/dev/null 2>&1; then practice_bin="$(command -v practice)"
            elif [[ -x "$here/../../.build/release/practice" ]]; then practice_bin="$here/../../.build/release/practice"
            elif [[ -x "$here/../../.build/debug/practice" ]]; then practice_bin="$here/../../.build/debug/practice"
            else die "cannot find the practice binary for --restart; give it with --practice PATH"; fi
        fi
        [[ -x "$practice_bin" ]] || die "--practice: $practice_bin is not executable"
        unset DATABASE_URL
        export PRACTICE_DATA_DIR="$embedded"
        "$practice_bin" db stop >&2 || die "\`practice db stop\` failed"
        "$practice_bin" db start >&2 || die "\`practice db start\` failed; see $embedded/postgres.log"
        owner_url="$("$practice_bin" db url --owner)"
        settings="$(PGCONNECT_TIMEOUT=10 psql -X -w -Atq -d "$owner_url" \
            -c "SELECT current_setting('wal_level') || ' ' || current_setting('archive_mode')")" \
            || die "restarted, but cannot ask the server for its settings"
        [[ "$settings" == "replica on" || "$settings" == "logical on" ]] \
            || die "restarted, but the server reports wal_level/archive_mode '$settings'; see $embedded/postgres.log"
        ;;
    confd)
        # shellcheck disable=SC2086 # "15 main" is two arguments
        pg_ctlcluster $debian_cluster restart || die "pg_ctlcluster $debian_cluster restart failed"
        ;;
    datadir)
        version="$(<"$pgdata/PG_VERSION")"
        pg_ctl="${PG_BIN_DIR:-/usr/lib/postgresql/$version/bin}/pg_ctl"
        [[ -x "$pg_ctl" ]] || pg_ctl="$(command -v pg_ctl)" || die "pg_ctl is not installed"
        # With -l: else the restarted server would write its log to our stderr, and hold it open.
        : "${log_file:=$pgdata/log/postgres.log}"
        as_server mkdir -p -- "$(dirname "$log_file")" || die "the $server_user user cannot create $(dirname "$log_file")"
        as_server "$pg_ctl" restart -w -t 60 -m fast -D "$pgdata" -l "$log_file" >&2 \
            || die "pg_ctl restart failed; see $log_file"
        ;;
esac
# The checkpointer, which forces archive_timeout's segment switches, went to sleep for a whole
# checkpoint_timeout (5 min) while the server was starting up; a reload wakes it so the timeout
# counts from now.
case "$mode" in
    confd)
        # shellcheck disable=SC2086 # "15 main" is two arguments
        pg_ctlcluster $debian_cluster reload >/dev/null 2>&1 || true ;;
    *)
        version="$(<"$pgdata/PG_VERSION")"
        pg_ctl="${PG_BIN_DIR:-/usr/lib/postgresql/$version/bin}/pg_ctl"
        [[ -x "$pg_ctl" ]] || pg_ctl="$(command -v pg_ctl || echo pg_ctl)"
        as_server "$pg_ctl" reload -D "$pgdata" >/dev/null 2>&1 || true ;;
esac
note "restarted: archiving into $archive is on"
