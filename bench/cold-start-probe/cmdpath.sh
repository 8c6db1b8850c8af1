#!/usr/bin/env bash
N=s5cold-cmd-$RANDOM
docker run -d --name $N --init -p 127.0.0.1:28997:18789 -e OPENCLAW_NO_AUTO_UPDATE=1 -e OPENCLAW_GATEWAY_TOKEN=probe-token-0123456789abcdef-s5 -e NODE_DEBUG_NATIVE=COMPILE_CACHE ${IMG:-openclaw:2026.9.6-cs-local} node openclaw.mjs gateway --allow-unconfigured --bind lan --port 18789 >/dev/null
t0=$(date +%s)
until curl -fs http://127.0.0.1:28997/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.5; [ $(( $(date +%s)-t0 )) -gt 180 ] && break; done
echo "started after $(( $(date +%s)-t0 )) s"
docker logs $N > ${LOGS:-/tmp}/cmdpath.log 2>&1
docker rm -f $N >/dev/null
