#!/usr/bin/env bash
# Make `systemd-analyze` available: the systemd-target tests run `systemd-analyze verify` on every
# generated unit. It only needs the systemd package's tools, not systemd running as init.
# Idempotent; installs Debian's `systemd` package when missing (needs root and apt-get).
# Prints one line; exit 0 when systemd-analyze runs, 1 otherwise.
set -euo pipefail
if command -v systemd-analyze >/dev/null 2>&1; then
  echo "ensure-systemd-analyze: $(systemd-analyze --version | head -n 1) ready"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-systemd-analyze: systemd-analyze is missing; install the systemd package (Debian: apt-get install systemd)" >&2
  exit 1
fi
echo "ensure-systemd-analyze: installing the systemd package (tools only) ..." >&2
export DEBIAN_FRONTEND=noninteractive
LOG="${TMPDIR:-/tmp}/clawfed-ensure-systemd.log"
if ! { apt-get install -y --no-install-recommends systemd >"$LOG" 2>&1 || { apt-get update >>"$LOG" 2>&1 && apt-get install -y --no-install-recommends systemd >>"$LOG" 2>&1; }; }; then
  tail -n 20 "$LOG" >&2 || true
  echo "ensure-systemd-analyze: apt-get install systemd failed (log: $LOG)" >&2
  exit 1
fi
command -v systemd-analyze >/dev/null 2>&1 || { echo "ensure-systemd-analyze: installed, but systemd-analyze is still missing" >&2; exit 1; }
echo "ensure-systemd-analyze: $(systemd-analyze --version | head -n 1) installed"
