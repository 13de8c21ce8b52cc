#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/web) when /usr/bin/chromium is
# missing. Playwright drives this system browser; it never downloads one of its own.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
/usr/bin/chromium --version
