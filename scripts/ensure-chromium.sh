#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the Playwright browser
# tests. We install the distribution package (security updates through apt) and
# never run `playwright install`, which downloads a browser build from outside
# the package registries.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

echo "Chromium is missing ($CHROMIUM): the browser tests need it."
echo "Installing Debian's 'chromium' package: apt-get update && apt-get install -y chromium"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
    # No terminal (CI): never wait on a password prompt.
    [ -t 0 ] || SUDO=(sudo -n)
else
    echo "error: not root and sudo is not available. As root, run:" >&2
    echo "       apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update || ! "${SUDO[@]}" apt-get install -y chromium; then
    echo "error: could not install Chromium with apt-get${SUDO:+ through sudo}." >&2
    echo "       As root, run: apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "error: the chromium package installed but $CHROMIUM is still missing." >&2
    exit 1
fi
"$CHROMIUM" --version || true
