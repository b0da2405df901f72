#!/usr/bin/env bash
# Make sure Debian's chromium is present for the browser tests (Playwright drives it
# through executable_path, so Playwright's own browser download is not needed).
# Idempotent: returns at once when /usr/bin/chromium exists.
set -euo pipefail

CHROMIUM="${NBDASH_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "chromium present: $CHROMIUM"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is missing at $CHROMIUM and apt-get is not available;" \
         "install Chromium with your package manager and set NBDASH_CHROMIUM to its path." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "Installing chromium with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
test -x "$CHROMIUM"
echo "chromium installed: $CHROMIUM"
