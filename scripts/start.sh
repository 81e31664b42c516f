#!/usr/bin/env bash
# Start Patchbay on its embedded defaults from a fresh clone (Debian + Node >= 20.19):
# installs the npm dependencies from the lockfile when node_modules is missing, then runs `patchbay serve`.
# Extra arguments go to `patchbay`, e.g. `./scripts/start.sh -c patchbay.ini serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js >= 20.19 is required (apt-get install nodejs, or https://nodejs.org)" >&2
  exit 69
fi
if [ ! -d node_modules ]; then
  echo "== npm ci (first start)"
  npm ci --no-audit --no-fund
fi
if [ $# -eq 0 ]; then set -- serve; fi
# Same as `npm run patchbay -- serve`, without npm and tsx wrapper processes between the signals and the server.
exec node --import tsx src/cli/bin.ts "$@"
