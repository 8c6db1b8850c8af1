#!/usr/bin/env bash
# usage: ui-assets.sh IMAGE LABEL [root] : goreos alone, fresh then recreate: CPU at started, when the
# Control UI asset retention (sidecars.control-ui-assets) is done and 10 s later; `root` sets
# gateway.controlUi.root to the image's bundled UI (no retention copy). Restores the config after.
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
cp gateways/goreos/openclaw.json goreos.json.orig
trap 'cp goreos.json.orig gateways/goreos/openclaw.json' EXIT
if [ "$3" = root ]; then sed -i 's#"controlUi": {#"controlUi": { "root": "/app/dist/control-ui",#' gateways/goreos/openclaw.json; fi
grep -n '"controlUi"' gateways/goreos/openclaw.json
sed -i "s#image: .*#image: $1#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f trace.yml"
$C down -v >/dev/null 2>&1; find state/goreos -mindepth 1 -delete
cpu() { docker exec $1 cat /sys/fs/cgroup/cpuacct/cpuacct.usage | awk '{print int($1/1000000)}'; }
for phase in fresh recreate; do
  t0=$(date +%s%N)
  if [ $phase = fresh ]; then $C up -d goreos >/dev/null 2>&1; else $C up -d --force-recreate goreos >/dev/null 2>&1; fi
  until curl -fs http://127.0.0.1:18909/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done
  t1=$(date +%s%N); cid=$($C ps -q goreos); c1=$(cpu $cid)
  until docker logs $cid 2>&1 | grep -q "sidecars.control-ui-assets\|asset retention failed"; do sleep 0.2; [ $(( ($(date +%s%N)-t1)/1000000000 )) -gt 30 ] && break; done
  t2=$(date +%s%N); c2=$(cpu $cid)
  sleep 10; c3=$(cpu $cid)
  echo "$2 $phase started_ms=$(( (t1-t0)/1000000 )) cpu_started_ms=$c1 ui_done_after_ms=$(( (t2-t1)/1000000 )) cpu_ui_done_ms=$c2 cpu_10s_later_ms=$c3 load=$(cut -d' ' -f1 /proc/loadavg)"
  docker logs $cid 2>&1 | grep -o "sidecars.control-ui-assets.*\|.*retention.*\|.*controlUi.*\|.*Control UI.*" | head -3
  docker diff $cid > ${LOGS:-/tmp}/diff-$2-$phase.txt
  echo "diff lines $(wc -l < ${LOGS:-/tmp}/diff-$2-$phase.txt); cache $(du -sh state/goreos/cache 2>/dev/null) files $(find state/goreos/cache -type f 2>/dev/null | wc -l)"
  docker logs $cid > ${LOGS:-/tmp}/ui-$2-$phase.log 2>&1
done
$C down -v >/dev/null 2>&1
