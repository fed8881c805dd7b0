#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Chattor: tor (with tor-gencert), chromium (UI tests and
# the PWA), firefox-esr (the Tor-Browser-like test tier). Idempotent. As root it installs; otherwise it
# says exactly what to install. It never enables Debian's system tor service: Chattor runs its own tor.
set -euo pipefail

need=()
command -v tor >/dev/null 2>&1 && command -v tor-gencert >/dev/null 2>&1 || need+=(tor)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${CHATTOR_SKIP_FIREFOX:-}" != "1" ]; then
  command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
fi

node_major=$(node -p 'process.versions.node.split(".").map(Number).join(" ")' 2>/dev/null || echo "0 0 0")
read -r major minor _ <<<"$node_major"
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "Chattor needs Node.js >= 20.19 (found ${node_major// /.}). Install it from your distribution or nodejs.org." >&2
  exit 1
fi

if [ ${#need[@]} -eq 0 ]; then
  echo "setup: tor, chromium and firefox-esr are present"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing: ${need[*]}" >&2
    echo "Install them as root:  apt-get update && apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian package starts a system tor where a service manager exists; Chattor does not use it.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet tor 2>/dev/null; then
    systemctl disable --now tor >/dev/null 2>&1 || true
  fi
  echo "setup: installed ${need[*]}"
fi

if [ "${CHATTOR_SKIP_NPM:-}" != "1" ]; then
  stamp=node_modules/.chattor-lock-hash
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
fi
