#!/usr/bin/env bash
# Upgrades a MassagePractice installation to the `practice` binary now installed: an encrypted
# backup first, then the schema migrations, then a restart of the server. See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: deploy/upgrade.sh [--practice PATH] [--env FILE | --no-env] [--user USER]
                         [--backup-dir DIR | --no-backup] [--no-restart] [--wait SECONDS]

Run it after deploy/install.sh has put the new binary in place. In order, stopping at the
first step that fails:

  0. settings  reads the settings file (as the services do: `set -a; . FILE`), and says which
               practice binary and which database it is about to work on
  1. backup    practice backup --out DIR: an age-encrypted pg_dump of the whole database, as it
               is before the upgrade (needs PRACTICE_BACKUP_RECIPIENT, an age public key)
  2. migrate   practice migrate --dry-run (what will be applied), then practice migrate (as the
               schema owner: PRACTICE_OWNER_URL, or the embedded cluster's owner)
  3. restart   systemctl restart practice-server.service, then waits until it is active again;
               without systemd, or with --no-restart, says how to restart it yourself

Options:
  --practice PATH   the practice binary (default: `command -v practice`, else /usr/local/bin/practice)
  --env FILE        the settings file (default /etc/massagepractice/practice.env, if it exists)
  --no-env          read no settings file: use this shell's environment as it is
  --user USER       run practice as USER (default: as root, the services' user massagepractice
                    when it exists, so the embedded database and the backups stay theirs;
                    otherwise the user running this script)
  --backup-dir DIR  where the backup goes (default /var/lib/massagepractice/backups, where the
                    nightly backups are; the same retention applies: 7 daily, 4 weekly)
  --no-backup       skip the backup (only if you have just taken one: a failed or unwanted
                    upgrade can only be undone from a backup)
  --no-restart      leave the server alone (restart it yourself afterwards)
  --wait SECONDS    how long to wait for the server to be active again (default 60: the old
                    one may take up to 45 s to finish its requests and stop)
  -h, --help        this help

If a migration fails, that migration is rolled back (each runs in its own transaction); those
before it stay applied. Fix the cause and run this again, or restore the backup into a new
database: practice restore ARCHIVE --identity KEY --to massagepractice_restored

Exit status 0 upgraded, 1 a step failed (one line on stderr says which and why), 64 bad usage.
EOF
}

bad_usage() { echo "upgrade.sh: $*; see --help" >&2; exit 64; }
die() { echo "upgrade.sh: $*" >&2; exit 1; }
step() { printf '\n== upgrade.sh: %s\n' "$*"; }
note() { echo "upgrade.sh: $*"; }

practice=
env_file=/etc/massagepractice/practice.env
settings="the environment"
env_given=0
no_env=0
run_user=
user_given=0
backup_dir=/var/lib/massagepractice/backups
no_backup=0
backup_dir_given=0
restart=1
wait_seconds=60

while (($# > 0)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --no-env) no_env=1; shift; continue ;;
        --no-backup) no_backup=1; shift; continue ;;
        --no-restart) restart=0; shift; continue ;;
        --practice | --env | --user | --backup-dir | --wait)
            (($# >= 2)) || bad_usage "$1 needs a value"
            option="$1"; value="$2"; shift 2 ;;
        --practice=* | --env=* | --user=* | --backup-dir=* | --wait=*)
            option="${1%%=*}"; value="${1#*=}"; shift ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
    [[ -n "$value" ]] || bad_usage "$option needs a value"
    case "$option" in
        --practice) practice="$value" ;;
        --env) env_file="$value"; env_given=1 ;;
        --user) run_user="$value"; user_given=1 ;;
        --backup-dir) backup_dir="$value"; backup_dir_given=1 ;;
        --wait) wait_seconds="$value" ;;
    esac
done
((!(env_given && no_env))) || bad_usage "--env and --no-env: choose one"
((!(backup_dir_given && no_backup))) || bad_usage "--backup-dir and --no-backup: choose one"
if ! [[ "$wait_seconds" =~ ^[0-9]{1,3}$ ]] || ((10#$wait_seconds < 1 || 10#$wait_seconds > 600)); then
    bad_usage "--wait must be a whole number of seconds from 1 to 600, not '$wait_seconds'"
fi
wait_seconds=$((10#$wait_seconds))

# ---- 0. Settings ---------------------------------------------------------------------------
step "0/3 settings"

if [[ -z "$practice" ]]; then
    practice="$(command -v practice || true)"
    [[ -n "$practice" ]] || practice=/usr/local/bin/practice
fi
[[ "$practice" == */* ]] || practice="$(command -v -- "$practice" || echo "$practice")"
[[ -f "$practice" && -x "$practice" ]] || die "no executable practice binary at $practice: install it with deploy/install.sh, or give --practice PATH"
[[ "$practice" == /* ]] || practice="$PWD/$practice"

if ((no_env)); then
    note "no settings file (--no-env): using this shell's environment"
elif [[ -e "$env_file" ]]; then
    [[ -f "$env_file" && -r "$env_file" ]] \
        || die "cannot read $env_file (it holds the database passwords: run this as root, or give --env FILE or --no-env)"
    # What the units set before their EnvironmentFile= (a line in the file overrides it).
    if [[ "$env_file" == /etc/massagepractice/practice.env && -z "${PRACTICE_DATA_DIR:-}" ]]; then
        export PRACTICE_DATA_DIR=/var/lib/massagepractice/embedded
    fi
    set -a
    # shellcheck disable=SC1090
    . "$env_file" || die "$env_file is not valid shell (see above); fix it, since the services read it too"
    set +a
    note "settings: $env_file"
    settings="$env_file"
elif ((env_given)); then
    die "--env $env_file does not exist"
else
    note "settings: none ($env_file does not exist); using this shell's environment"
fi

if ((!user_given)); then
    if [[ $(id -u) -eq 0 ]] && getent passwd massagepractice >/dev/null 2>&1; then
        run_user=massagepractice
    else
        run_user="$(id -un)"
    fi
fi
getent passwd "$run_user" >/dev/null 2>&1 || die "--user $run_user: no such user"
as_user=()
if [[ "$run_user" != "$(id -un)" ]]; then
    [[ $(id -u) -eq 0 ]] || die "running practice as $run_user needs root (or leave out --user)"
    [[ -x /usr/sbin/runuser ]] || die "/usr/sbin/runuser is missing (util-linux); cannot run practice as $run_user"
    as_user=(/usr/sbin/runuser -u "$run_user" --)
fi

[[ "$backup_dir" == /* ]] || backup_dir="$PWD/$backup_dir"
# The settings are exported, so runuser passes them on. A folder the service user may enter.
cd /
run_practice() { "${as_user[@]}" "$practice" "$@"; }

version="$(run_practice --version 2>&1)" || die "$practice does not run as $run_user: $(tail -n 1 <<<"$version")"
note "binary:   $practice ($version), run as $run_user"
# A URL with its password (in the user part or a password= parameter) left out.
redact() { sed -E 's|^([a-z]+://[^:@/]*):.*@|\1:…@|; s/([?&])password=[^&]*/\1password=…/g' <<<"$1"; }
if [[ -n "${DATABASE_URL:-}" ]]; then
    note "database: $(redact "$DATABASE_URL") (DATABASE_URL)"
    if [[ -n "${PRACTICE_OWNER_URL:-}" ]]; then
        note "schema owner: $(redact "$PRACTICE_OWNER_URL") (PRACTICE_OWNER_URL)"
    else
        note "schema owner: not set (PRACTICE_OWNER_URL): migrations run as DATABASE_URL's role"
    fi
else
    note "database: the embedded cluster in ${PRACTICE_DATA_DIR:-the default data folder (see practice db status)}"
fi

# ---- 1. Backup -----------------------------------------------------------------------------
archive=
if ((no_backup)); then
    step "1/3 backup: SKIPPED (--no-backup)"
    cat >&2 <<'EOF'
upgrade.sh: WARNING ****************************************************************
upgrade.sh: WARNING  No backup is taken. Migrations change the schema for good: the
upgrade.sh: WARNING  previous binary refuses a database a newer one has migrated, and
upgrade.sh: WARNING  the only way back is a backup taken before this upgrade.
upgrade.sh: WARNING ****************************************************************
EOF
else
    step "1/3 backup into $backup_dir"
    [[ -n "${PRACTICE_BACKUP_RECIPIENT:-}" ]] \
        || die "no backup recipient: set PRACTICE_BACKUP_RECIPIENT (an age public key, age1…) in $settings; nothing was changed"
    if ! output="$(run_practice backup --out "$backup_dir" --json 2>&1)"; then
        echo "$output" >&2
        die "the backup failed (see above); nothing was migrated"
    fi
    archive="$(sed -nE 's/^ *"archive" *: *"(.*)",?$/\1/p' <<<"$output" | head -n 1)"
    archive="${archive//\\\//\/}"
    [[ -n "$archive" && -s "$archive" ]] || die "practice backup said it succeeded but named no archive: $output"
    note "backup:   $archive"
fi

restore_hint() {
    if [[ -n "$archive" ]]; then
        echo "upgrade.sh: the backup taken before it is $archive; to go back, restore it into a new database:" >&2
        echo "upgrade.sh:   practice restore $archive --identity KEY --to massagepractice_restored" >&2
        echo "upgrade.sh:   (KEY: the backup's age identity, kept off this machine; README, Upgrading: rolling back)" >&2
    else
        echo "upgrade.sh: this run took no backup (--no-backup): restore the one you took before with practice restore" >&2
    fi
}

# ---- 2. Migrate ----------------------------------------------------------------------------
step "2/3 migrate"
if ! pending="$(run_practice migrate --dry-run 2>&1)"; then
    echo "$pending" >&2
    die "practice migrate --dry-run failed (see above); nothing was migrated"
fi
echo "$pending"
if ! applied="$(run_practice migrate 2>&1)"; then
    echo "$applied" >&2
    echo "upgrade.sh: the failing migration was rolled back; those before it stay applied; the server was not restarted" >&2
    restore_hint
    die "practice migrate failed (see above)${archive:+; the backup from before the upgrade is $archive}"
fi
echo "$applied"

# ---- 3. Restart ----------------------------------------------------------------------------
unit="practice-server.service"
restarted="no"
if ((!restart)); then
    step "3/3 restart: skipped (--no-restart)"
    note "restart the server yourself to run the new binary: systemctl restart $unit (or stop and start practice serve)"
elif [[ ! -d /run/systemd/system ]]; then
    step "3/3 restart: systemd is not running here; nothing was restarted"
    note "restart the server yourself to run the new binary: stop practice serve, then start it again"
elif [[ "$(systemctl show -p LoadState --value "$unit" 2>/dev/null || true)" != loaded ]]; then
    step "3/3 restart: $unit is not installed; nothing was restarted"
    note "restart the server yourself if one runs (deploy/install.sh installs $unit)"
else
    step "3/3 restart $unit"
    # A new InvocationID marks the new start; until then is-active may still be the old server.
    before="$(systemctl show -p InvocationID --value "$unit" 2>/dev/null || true)"
    systemctl restart --no-block "$unit" \
        || die "systemctl restart $unit failed; the database is migrated; see: journalctl -u $unit"
    state=unknown
    for ((waited = 0; waited < wait_seconds; waited++)); do
        sleep 1
        now="$(systemctl show -p InvocationID --value "$unit" 2>/dev/null || true)"
        state="$(systemctl is-active "$unit" 2>/dev/null || true)"
        [[ -n "$now" && "$now" != "$before" && "$state" == active ]] && break
        state="${state:-unknown}"
        [[ "$now" != "$before" ]] || state="$state (not restarted yet)"
    done
    if [[ "$state" == active ]]; then
        # A server that cannot bind its port, or is refused by its database, exits at once: look again.
        sleep 2
        state="$(systemctl is-active "$unit" 2>/dev/null || true)"
    fi
    if [[ "$state" != active ]]; then
        journalctl -u "$unit" -n 20 --no-pager >&2 2>/dev/null || true
        die "$unit is ${state:-unknown}, not active, ${wait_seconds}s after the restart; the database is migrated; see: journalctl -u $unit"
    fi
    restarted="yes ($unit is active)"
fi

# ---- Summary -------------------------------------------------------------------------------
step "done"
note "binary:    $practice ($version)"
note "backup:    ${archive:-none (--no-backup)}"
note "migrate:   $(tr '\n' ' ' <<<"$applied" | sed -E 's/ +/ /g; s/ $//')"
note "restarted: $restarted"
