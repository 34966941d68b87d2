#!/usr/bin/env bash
# Takes a verified base backup with pg_basebackup, for point-in-time recovery (recover.sh).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: base-backup.sh [--tar] URL OUT_DIR

Copies the whole cluster behind URL into OUT_DIR/base-<UTC time> (e.g. base-20261126T050112Z)
with pg_basebackup: a fast checkpoint first, the WAL the copy needs streamed along (-X stream),
and a backup manifest with SHA-256 checksums, which pg_verifybackup then checks file by file
and against that WAL. The folder appears under its final name only once it is complete and
verified; its path is the one line printed on stdout.

  URL       A role with REPLICATION. Embedded default: "$(practice db url --backup)".
            Hosted: e.g. postgres://practice_backup:secret@db.example/massagepractice?sslmode=require
  OUT_DIR   Where the backups are kept (created mode 0700: they hold every health record).
  --tar     gzipped tar files (base.tar.gz, pg_wal.tar.gz) instead of a plain copy. Smaller,
            but PostgreSQL 15's pg_verifybackup reads only plain backups, so the copy is not
            verified (only the archives' integrity is); recover.sh accepts both.

A base backup alone restores the cluster as it was when the backup ended. With WAL archiving
(enable-archiving.sh) recover.sh can replay it to any later moment. Take one regularly (e.g.
weekly): recovery replays every segment archived since, and the archive older than the oldest
base backup you keep can be deleted (pg_archivecleanup).

Exit status 0 done, 1 failed (one line on stderr says why), 64 bad usage.
EOF
}

die() { echo "base-backup.sh: $*" >&2; exit 1; }
bad_usage() { echo "base-backup.sh: $*; see --help" >&2; exit 64; }
note() { echo "$*" >&2; }
# A URL for messages: without its password.
redact() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#; s#(password=)[^& ]*#\1***#g' <<<"$1"; }

tar_format=0
positional=()
while (($# > 0)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --tar) tar_format=1; shift ;;
        --) shift; positional+=("$@"); break ;;
        -*) bad_usage "unknown option '$1'" ;;
        *) positional+=("$1"); shift ;;
    esac
done
((${#positional[@]} == 2)) || bad_usage "expected URL and OUT_DIR"
url="${positional[0]}"
out="${positional[1]}"
[[ -n "$url" ]] || bad_usage "the URL is empty"
[[ -n "$out" ]] || bad_usage "OUT_DIR is empty"

bin_dir() {
    if [[ -n "${PG_BIN_DIR:-}" ]]; then echo "$PG_BIN_DIR"; return; fi
    local newest
    newest="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -regex '.*/[0-9]+' -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)"
    if [[ -n "$newest" && -x "/usr/lib/postgresql/$newest/bin/pg_basebackup" ]]; then echo "/usr/lib/postgresql/$newest/bin"; return; fi
    dirname "$(command -v pg_basebackup || echo /usr/bin/pg_basebackup)"
}
bin="$(bin_dir)"
for tool in pg_basebackup pg_verifybackup psql; do
    [[ -x "$bin/$tool" ]] || die "$bin/$tool is missing; install postgresql-client (or set PG_BIN_DIR)"
done

# Never prompt for a password, never wait long for a server that does not answer.
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

# Before copying anything: can this role take a base backup, and will it be usable for PITR?
check="$("$bin/psql" -X -w -Atq -F ' ' -d "$url" -c "
    SELECT r.rolreplication OR r.rolsuper, current_setting('wal_level'), current_setting('archive_mode')
    FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user" 2>&1)" \
    || die "cannot connect with $(redact "$url"): $(tr -s '\n\t' '  ' <<<"$check")"
read -r can_replicate wal_level archive_mode <<<"$check"
[[ "$can_replicate" == t ]] || die "the role in $url has no REPLICATION attribute; use the backup role (practice db url --backup)"
if [[ "$wal_level" == minimal ]]; then
    die "the server runs with wal_level = minimal, which cannot take base backups; run enable-archiving.sh"
fi
if [[ "$archive_mode" == off ]]; then
    note "warning: WAL archiving is off on that server; this backup restores only to its own end (see enable-archiving.sh)"
fi

mkdir -p -- "$out" || die "cannot create $out"
chmod 0700 -- "$out" || die "cannot restrict $out to its owner"
name="base-$(date -u +%Y%m%dT%H%M%SZ)"
dest="$out/$name"
[[ ! -e "$dest" ]] || die "$dest already exists (one backup a second at most)"
partial="$dest.partial"
rm -rf -- "$partial"
trap 'rm -rf -- "$partial"' EXIT

if ((tar_format)); then
    format=(-F tar --gzip)
else
    format=(-F plain)
fi
note "base backup of $(redact "$url") into $dest ..."
"$bin/pg_basebackup" -d "$url" -D "$partial" "${format[@]}" -X stream --checkpoint=fast -w \
    --manifest-checksums=SHA256 --label "$name" \
    || die "pg_basebackup failed (see above); nothing was kept"

if ((tar_format)); then
    for archive in "$partial"/*.tar.gz; do
        gzip -t -- "$archive" || die "$archive is damaged"
    done
    [[ -f "$partial/backup_manifest" ]] || die "pg_basebackup wrote no backup_manifest"
    note "tar format: not verified with pg_verifybackup (PostgreSQL 15 verifies only plain backups)"
else
    "$bin/pg_verifybackup" -q -- "$partial" >&2 || die "pg_verifybackup found the copy damaged or incomplete; nothing was kept"
    note "verified with pg_verifybackup"
fi

mv -- "$partial" "$dest" || die "cannot rename $partial to $dest"
trap - EXIT
sync -f -- "$dest" 2>/dev/null || true
echo "$dest"
