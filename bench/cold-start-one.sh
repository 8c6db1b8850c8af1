#!/usr/bin/env bash
# One gateway, today's local image (recipe 2) vs the warm-cache one, alternating: wall time from
# `docker start` to /startupz started (polled from the host every 200 ms) and the container's CPU
# time until then (cgroup v1 cpuacct.usage, ns). Host port 28999. Run under the shared lock:
#   flock /work/notes/e2e.lock bash bench/cold-start-one.sh
# A/B of one gateway start: wall time to /startupz started (polled from the host every 200 ms)
# and the container's CPU time until then (cgroup cpu.stat), today's image vs the warm one.
one() { I=$1; C=$2; N=cs-ab-$RANDOM; V=$N
docker volume create $V >/dev/null
docker run --rm -v $V:/home/node/.openclaw --entrypoint sh $I -c 'printf "%s" "{\"gateway\":{\"mode\":\"local\",\"port\":18789,\"bind\":\"lan\",\"auth\":{\"mode\":\"token\",\"token\":\"\${OPENCLAW_GATEWAY_TOKEN}\"}}}" > /home/node/.openclaw/openclaw.json'
docker create --name $N --init -p 127.0.0.1:28999:18789 -v $V:/home/node/.openclaw -e OPENCLAW_STATE_DIR=/home/node/.openclaw -e OPENCLAW_NO_AUTO_UPDATE=1 -e OPENCLAW_GATEWAY_TOKEN=probe-token-0123456789abcdef -e NODE_COMPILE_CACHE=$C $I node dist/index.js gateway --port 18789 >/dev/null
t0=$(date +%s%N); docker start $N >/dev/null
until curl -fs http://127.0.0.1:28999/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.2; done
t1=$(date +%s%N)
cpu=$(docker exec $N sh -c 'grep usage_usec /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpuacct/cpuacct.usage' | awk '{print $NF}')
echo "$3 wall_ms=$(( (t1-t0)/1000000 )) cpu=$cpu load=$(cut -d' ' -f1 /proc/loadavg)"
docker rm -f $N >/dev/null; docker volume rm $V >/dev/null; }
for i in 1 2 3 4; do
  one openclaw:2026.9.6-local /opt/openclaw/compile-cache today
  one openclaw:2026.9.6-cs-local /opt/openclaw/compile-cache warm
done
