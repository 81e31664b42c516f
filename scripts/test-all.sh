#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Node 20: installs the Debian packages the tests
# need when they are missing, installs npm dependencies from the lockfile, then runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cabextract >/dev/null 2>&1 || need+=(cabextract)
command -v tinyproxy >/dev/null 2>&1 || need+=(tinyproxy)   # real forward proxy for the sync transport tests
command -v openssl >/dev/null 2>&1 || need+=(openssl)       # throwaway PKI for the upstream TLS tests
command -v prometheus >/dev/null 2>&1 || need+=(prometheus) # a real Prometheus scrapes /metrics in the operations tests
[ -x /usr/sbin/haproxy ] || need+=(haproxy)                 # a real balancer in front of three nodes (multi-node test)
[ -x /usr/bin/chromium ] || need+=(chromium)              # the web console tests drive Debian's chromium (never a downloaded browser)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== typecheck";    npm run -s typecheck
echo "== lint";         npm run -s lint
echo "== format:check"; npm run -s format:check
echo "== build";        npm run -s build
echo "== test";         npm test
# Benchmarks in quick mode keep them working; a timing never fails this step, a crash does.
echo "== bench --quick"; npm run -s bench -- --quick
