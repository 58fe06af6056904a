#!/usr/bin/env bash
# Back up Gongzhi: the PostgreSQL database (pg_dump custom format) and the uploaded files (vouchers,
# mandates, minutes, evidence), into one new directory named by the time of the backup, with the
# SHA-256 of each file (SHA256SUMS) so that a restore can tell a damaged copy.
#
#   scripts/backup.sh [DEST_DIR]          (default: ./backups)
#
# Reads DATABASE_URL (postgres://user@host:port/name) and MEDIA_ROOT (default ./media). Prints the
# directory it wrote. The dump is consistent (one snapshot); files are copied after it, and a file
# never changes once uploaded (vouchers are content-hashed in the ledger), so the pair is consistent too:
# a file uploaded between the two steps is in the archive without its row, which is harmless.
# The backup holds personal data (encrypted) and its key hashes: the directory is readable by its owner only.
# docs/operations.md, "Backup and restore".
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh backs up PostgreSQL only (DATABASE_URL is not postgres://...)" >&2; exit 2 ;;
esac
MEDIA_ROOT="${MEDIA_ROOT:-media}"
DEST="${1:-backups}/gongzhi-$(date -u +%Y%m%dT%H%M%SZ)"
if [ -e "$DEST" ]; then
  echo "refusing to overwrite $DEST" >&2
  exit 2
fi
mkdir -p "$DEST"

pg_dump --format=custom --no-owner --no-privileges --file="$DEST/database.dump" "$DATABASE_URL"
if [ -d "$MEDIA_ROOT" ]; then
  tar -czf "$DEST/media.tar.gz" -C "$MEDIA_ROOT" .
else
  tar -czf "$DEST/media.tar.gz" --files-from /dev/null
fi
(cd "$DEST" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "$DEST"
