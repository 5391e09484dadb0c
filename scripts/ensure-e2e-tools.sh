#!/usr/bin/env bash
# The browser test drives Debian's chromium (never a browser build downloaded by a test tool), the
# deploy test checks deploy/nginx/nginx.conf with `nginx -t`, and the observability tests run Debian's
# `prometheus` and `promtool` (deploy/prometheus/): install them from Debian when missing.
# Without root or apt-get this only warns outside CI; those tests then skip (in CI they fail).
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "${missing[*]} not installed: install with apt-get install ${missing[*]} (the e2e/deploy tests skip without them)" >&2
  [ -z "${CI:-}" ] && exit 0
  exit 1
fi
echo "Installing ${missing[*]} with apt-get…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
