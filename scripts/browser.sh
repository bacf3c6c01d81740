#!/usr/bin/env bash
# The browser the dashboard's end-to-end test drives: Debian's chromium at /usr/bin/chromium, driven by
# playwright-core (which downloads no browser of its own). Idempotent.
source "$(dirname "$0")/lib.sh"

[ -x /usr/bin/chromium ] || apt_install chromium
[ -x /usr/bin/chromium ] || die "chromium did not install at /usr/bin/chromium"
log "$(/usr/bin/chromium --version 2>/dev/null | head -n 1) ready"
