#!/usr/bin/env bash
# Write .env from .env.example with a fresh random value for every empty secret
# (the `NAME_PASSWORD=` lines), for a Compose deployment. Refuses to overwrite an existing
# .env. Usage: deploy/make-env.sh [OUTPUT]   (default: .env at the repository root)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/.env}
if [ -e "$out" ]; then
  echo "make-env.sh: $out exists; not overwriting it" >&2
  exit 1
fi

umask 077
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Z][A-Z0-9_]*_PASSWORD)=$ ]]; then
    # 16 random bytes as hex: safe in URLs, config files and shell words.
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  else
    printf '%s\n' "$line"
  fi
done < "$root/.env.example" > "$out"
echo "wrote $out (secrets generated; keep it private)"
