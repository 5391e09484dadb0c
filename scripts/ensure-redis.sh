#!/usr/bin/env bash
# The integration tests start their own redis-server processes; install the binary when it is missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is not installed: install it (Debian/Ubuntu: apt-get install redis-server) and run again" >&2
  exit 1
fi
echo "Installing redis-server with apt-get…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
