#!/usr/bin/env bash
# For the browser tests: Debian's Chromium (never `playwright install`: it downloads a browser)
# and axe-core from the npm registry into build/node (for the tests only, never shipped).
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.11.0

install_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return
  fi
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "install-browser: /usr/bin/chromium is missing and I am not root; the browser tests will skip" >&2
    return
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing chromium and chromium-driver with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
}

install_axe() {
  if [ -f build/node/node_modules/axe-core/axe.min.js ]; then
    return
  fi
  if ! command -v npm >/dev/null; then
    echo "install-browser: npm is missing; the accessibility tests will skip" >&2
    return
  fi
  echo "installing axe-core $AXE_VERSION with npm into build/node" >&2
  npm install --silent --no-audit --no-fund --prefix build/node "axe-core@$AXE_VERSION" >/dev/null
}

install_chromium
install_axe
