#!/usr/bin/env bash
# usage: one.sh IMAGE TAG [extra compose file]: korax service alone: fresh start, then recreate (same state)
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
IMG=$1; TAG=$2; EXTRA=${3:+-f $3}
sed -i "s#image: .*#image: $IMG#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f trace.yml $EXTRA"
$C down -v >/dev/null 2>&1 || true
wait_started() { until curl -fs http://127.0.0.1:18789/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done; }
for phase in fresh recreate recreate2; do
t0=$(date +%s%N)
if [ $phase = fresh ]; then $C up -d korax >/dev/null 2>&1; else $C up -d --force-recreate korax >/dev/null 2>&1; fi
t1=$(date +%s%N)
wait_started; t2=$(date +%s%N)
cid=$($C ps -q korax)
cpu=$(docker exec $cid sh -c 'grep usage_usec /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpuacct/cpuacct.usage')
echo "$TAG $phase compose_ms=$(( (t1-t0)/1000000 )) started_ms=$(( (t2-t1)/1000000 )) cpu=$cpu load=$(cut -d' ' -f1 /proc/loadavg)"
$C logs --no-color korax > ${LOGS:-/tmp}/one-$TAG-$phase.txt 2>&1
done
$C down -v >/dev/null 2>&1
