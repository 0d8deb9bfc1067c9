#!/bin/sh
# Writes random secrets for deploy/compose.yaml into this directory (kept out of git).
# Existing files are kept, so running it again never changes a KEK that encrypts stored keys.
set -eu
cd "$(dirname "$0")"
umask 077
rand() { openssl rand -base64 "$1" | tr -d '\n/+=' ; }
put() { [ -s "$1" ] || printf '%s\n' "$2" > "$1"; }
put gatehouse_kek "$(openssl rand -base64 32)"
put postgres_password "$(rand 32)"
put redis_password "$(rand 32)"
put grafana_admin_password "$(rand 24)"
put admin_password "$(rand 24)"
put gatehouse_database_url "postgres://gatehouse:$(cat postgres_password)@postgres:5432/gatehouse"
put gatehouse_redis_url "redis://:$(cat redis_password)@redis:6379/0"
# Compose mounts secret files with their own mode and owner: the non-root Gatehouse user (10001)
# must be able to read them.
chmod 0700 . && chmod 0644 ./*_* 2>/dev/null || true
echo "secrets in $(pwd)"
