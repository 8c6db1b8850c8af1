#!/usr/bin/env bash
# usage: prof.sh IMAGE LABEL : goreos alone, fresh state then a recreate of the same state, every
# node process and worker thread under --cpu-prof (NODE_OPTIONS, so children and workers too);
# stopped (docker stop) right after /startupz says started. Profiles go to $LOGS/prof-LABEL-PHASE/,
# `tail_ms` in its meta file is the time from started to exit (cut it with profsum.mjs --until-ms).
# Summarise: node bench/cold-start-probe/profsum.mjs <main profile: CPU.*.<pid>.0.001.cpuprofile> --until-ms N
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
LOGS=${LOGS:-/tmp}
cat > prof-all.yml <<'YML'
services:
  goreos:
    environment:
      NODE_OPTIONS: "--cpu-prof --cpu-prof-dir=/home/node/.openclaw/prof"
      OPENCLAW_GATEWAY_STARTUP_TRACE: "1"
YML
sed -i "s#image: .*#image: $1#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f prof-all.yml"
$C down -v >/dev/null 2>&1; find state/goreos -mindepth 1 -delete
for phase in fresh recreate; do
  rm -rf state/goreos/prof
  t0=$(date +%s%N)
  if [ $phase = fresh ]; then $C up -d goreos >/dev/null 2>&1; else $C up -d --force-recreate goreos >/dev/null 2>&1; fi
  t1=$(date +%s%N)
  until curl -fs http://127.0.0.1:18909/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done
  t2=$(date +%s%N)
  cid=$($C ps -q goreos)
  cpu=$(docker exec $cid sh -c 'grep usage_usec /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpuacct/cpuacct.usage')
  docker stop -t 60 $cid >/dev/null; t3=$(date +%s%N)
  echo "$2 $phase compose_ms=$(( (t1-t0)/1000000 )) started_ms=$(( (t2-t1)/1000000 )) stop_ms=$(( (t3-t2)/1000000 )) cpu=$cpu load=$(cut -d' ' -f1 /proc/loadavg)"
  $C logs --no-color goreos > "$LOGS/prof-$2-$phase.log" 2>&1
  rm -rf "$LOGS/prof-$2-$phase"; cp -r state/goreos/prof "$LOGS/prof-$2-$phase"
  echo "tail_ms=$(( (t3-t2)/1000000 ))" > "$LOGS/prof-$2-$phase/meta"
done
$C down -v >/dev/null 2>&1
