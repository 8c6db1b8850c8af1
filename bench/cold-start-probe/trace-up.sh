#!/usr/bin/env bash
# usage: trace-up.sh IMAGE TAG  (run under flock); brings korax up with startup trace, prints times
set -e
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
IMG=$1; TAG=$2
sed -i "s#image: .*#image: $IMG#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f trace.yml ${EXTRA:+-f $EXTRA}"
$C down -v >/dev/null 2>&1 || true
find state/goreos state/medico -mindepth 1 -delete
t0=$(date +%s%N)
$C up -d >/dev/null 2>&1
t1=$(date +%s%N); echo "$TAG compose_up_ms=$(( (t1-t0)/1000000 ))"
for p in 18789 18909 19029; do
 ( until curl -fs http://127.0.0.1:$p/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.2; done; t=$(date +%s%N); echo "$TAG port $p started_ms=$(( (t-t0)/1000000 ))" ) &
done
wait
t2=$(date +%s%N); echo "$TAG all_started_ms=$(( (t2-t0)/1000000 )) load=$(cut -d' ' -f1 /proc/loadavg)"
for s in korax goreos medico; do $C logs --no-color $s > ${LOGS:-/tmp}/log-$TAG-$s.txt 2>&1; done

$C down -v >/dev/null 2>&1
