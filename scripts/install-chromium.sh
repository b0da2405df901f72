#!/usr/bin/env bash
# Make sure Debian's chromium is present for the browser tests (Playwright drives it
# through executable_path, so Playwright's own browser download is not needed), with a
# font for Chinese, Japanese and Korean text: without one, CJK labels in charts (live,
# kaleido's PNG/SVG, the standalone HTML) are drawn as empty boxes.
# Idempotent: installs only what is missing (chromium at $NBDASH_CHROMIUM, a font that
# fontconfig lists for Japanese).
set -euo pipefail

CHROMIUM="${NBDASH_CHROMIUM:-/usr/bin/chromium}"

missing=()
if [ -x "$CHROMIUM" ]; then
    echo "chromium present: $CHROMIUM"
else
    missing+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja family)" ]; then
    echo "CJK font present: $(fc-list :lang=ja family | head -n 1)"
else
    missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${missing[*]}, and apt-get is not available; install Chromium and" \
         "a CJK font (Noto Sans CJK) with your package manager, and set NBDASH_CHROMIUM" \
         "to Chromium's path." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "Installing ${missing[*]} with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
test -x "$CHROMIUM"
echo "installed: ${missing[*]}"
