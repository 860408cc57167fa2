#!/usr/bin/env bash
# Debian packages the tests need as real programs: headless Chromium for the HTML report's browser
# test (tests/corpus/test_report.py), redis-server for the shared crawl frontier
# (tests/crawler/test_frontier.py; the tests start it on localhost themselves). Installed only
# when missing; as root directly, otherwise through sudo.
set -euo pipefail
missing=()
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
        && ! command -v google-chrome >/dev/null; then
    missing+=(chromium)
fi
command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "system-packages: install ${missing[*]} with your package manager (the tests need them)" >&2
    exit 1
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system-packages: installing ${missing[*]} (Debian packages)" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
