#!/usr/bin/env bash
# Browser tests: starts `tamhub serve --demo` on a fresh SQLite database and a free port, runs the
# Playwright tests in Debian's Chromium against it, then stops the server.
# Usage: e2e/run.sh [path-to-tamhub-binary]   (default: target/debug/tamhub, built if missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${1:-$root/target/debug/tamhub}
[ -x "$bin" ] || (cd "$root" && cargo build --bin tamhub)
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# TAMHUB_E2E_DATABASE_URL runs the same tests on another database (an empty PostgreSQL one, say).
export TAMHUB_DATABASE_URL="${TAMHUB_E2E_DATABASE_URL:-sqlite://$work/tamhub.db}"
"$bin" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server did not become ready"; cat "$work/serve.log"; exit 1; }

# An admin API token, made by the CLI on the same database while the server runs.
export TAMHUB_E2E_ADMIN_TOKEN=$("$bin" token create --email admin@tamhub.example --name e2e 2>/dev/null)
export TAMHUB_E2E_URL="http://127.0.0.1:$port"
mkdir -p "$here/screenshots"
cd "$here" && node --test --test-concurrency=1 tests/
