#!/usr/bin/env bash
# Probes of one gateway's start (issue 16; results in BENCHMARKS.md, "Where the time goes").
# They drive the compose file clawfed generates for federations/korax.yaml directly, with
# docker-compose overrides, so OpenClaw's own startup trace, Node's compile-cache debug log and
# the containers' CPU can be read. Project name korax, ports 18789/18909/19029 (korax's): run each
# probe under the shared lock. Setup (once):
#   npm run build && OUT=/tmp/cs-probe bash bench/cold-start-probe/setup.sh
# Probes (IMAGE: a -local tag; recipe-2 = no cache, recipe 3+ = the image's cache):
#   OUT=/tmp/cs-probe flock /work/notes/e2e.lock bash bench/cold-start-probe/trace-up.sh IMAGE LABEL   # korax up, all three, startup trace
#   OUT=... EXTRA=debug.yml flock ... bash bench/cold-start-probe/trace-up.sh IMAGE LABEL             # + NODE_DEBUG_NATIVE=COMPILE_CACHE
#   OUT=... flock ... bash bench/cold-start-probe/one.sh IMAGE LABEL [semi.yml]   # korax alone: fresh, recreate, recreate (CPU)
#   OUT=... flock ... bash bench/cold-start-probe/procs.sh IMAGE                  # goreos alone: CPU per process and thread
#   OUT=... flock ... bash bench/cold-start-probe/cover.sh                        # goreos: image cache vs a full per-gateway cache
#   IMG=IMAGE flock ... bash bench/cold-start-probe/cmdpath.sh                     # `node openclaw.mjs gateway`: cache use on the CMD path
#   OUT=... flock ... bash bench/cold-start-probe/prof.sh IMAGE LABEL             # goreos: --cpu-prof of every process/thread, fresh + recreate
#   node bench/cold-start-probe/profsum.mjs PROFILE [--until-ms N] [--loader]      # summary by category / package / file / function
#   OUT=... flock ... bash bench/cold-start-probe/ui-assets.sh IMAGE LABEL [root] # goreos: CPU of the Control UI asset retention
#   OUT=... flock ... bash bench/cold-start-probe/ui-up.sh IMAGE ROUNDS           # korax to all started: retention on vs controlUi.root set
#   OUT=... flock ... bash bench/cold-start-probe/stop-telegram.sh IMAGE WAIT_S [fake] # medico: docker stop time, Telegram unreachable or a stand-in Bot API
# Logs go to $LOGS (default /tmp). prof.yml (node --cpu-prof into goreos's workspace) is an
# override to add with -f by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${OUT:?set OUT to an empty folder}"
node "$here/../../bin/clawfed.js" generate "$here/../../federations/korax.yaml" --out "$OUT" --image openclaw:2026.9.6-local >/dev/null
# Dummy secrets (Telegram tokens shaped like real ones); they reach nothing.
python3 - "$OUT/.env" <<'PY'
import re, secrets, sys
p = sys.argv[1]; t = open(p).read()
t = re.sub(r'^([A-Z][A-Z0-9_]*)=$', lambda m: f"{m.group(1)}={'1000001' if m.group(1).startswith('TG_TOKEN_') else 'bench'}:{secrets.token_hex(12)}", t, flags=re.M)
open(p, 'w').write(t)
PY
cp "$here"/*.yml "$OUT"/
echo "ready: $OUT"
