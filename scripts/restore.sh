#!/usr/bin/env bash
# Restore a Gongzhi backup into a NEW, empty PostgreSQL database, then verify every vote and every ledger.
#
#   createdb gongzhi_restored
#   scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_ROOT
#
# Checks the backup's checksums first; refuses a target database that already has tables, and a
# target media directory that already holds files (a restore never overwrites). The dump is restored
# in one transaction: a failure leaves the target empty. Then `manage.py verify_all --vouchers` runs
# against the restored copy: every vote's roll, ballot chain, bulletin heads and results (verify_vote),
# every estate's ledger against its published statements (verify_ledger), and every voucher file
# against its digest. A non-zero exit means the copy is not to be trusted. docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: restore.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_ROOT"
BACKUP="${1:?$usage}"
TARGET="${2:?$usage}"
TARGET_MEDIA="${3:?$usage}"
PYTHON="${PYTHON:-.venv/bin/python}"

for file in SHA256SUMS database.dump media.tar.gz; do
  if [ ! -f "$BACKUP/$file" ]; then
    echo "not a backup: $BACKUP/$file is missing" >&2
    exit 2
  fi
done
if ! (cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS); then
  echo "refusing to restore: the backup's files do not match SHA256SUMS" >&2
  exit 2
fi

tables=$(psql "$TARGET" -v ON_ERROR_STOP=1 -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
  echo "refusing to restore: the target database already has $tables tables" >&2
  exit 2
fi
if [ -d "$TARGET_MEDIA" ] && [ -n "$(ls -A "$TARGET_MEDIA")" ]; then
  echo "refusing to restore: $TARGET_MEDIA already holds files" >&2
  exit 2
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$TARGET" "$BACKUP/database.dump"
mkdir -p "$TARGET_MEDIA"
tar -xzf "$BACKUP/media.tar.gz" -C "$TARGET_MEDIA"

DATABASE_URL="$TARGET" MEDIA_ROOT="$TARGET_MEDIA" "$PYTHON" manage.py verify_all --vouchers
