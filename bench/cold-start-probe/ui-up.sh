#!/usr/bin/env bash
# usage: ui-up.sh IMAGE ROUNDS : korax, all three from an empty state to started, alternating the
# generated config (Control UI asset retention on) with gateway.controlUi.root set to the image's
# UI (retention off) in every gateway; prints wall time to all started and the containers' CPU.
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
for g in korax goreos medico; do cp gateways/$g/openclaw.json $g.json.orig; done
trap 'for g in korax goreos medico; do cp $g.json.orig gateways/$g/openclaw.json; done' EXIT
sed -i "s#image: .*#image: $1#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml"
cpu() { docker exec $1 sh -c 'cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || grep usage_usec /sys/fs/cgroup/cpu.stat' | awk '/usage_usec/ {print $2/1e6; next} {print $1/1e9}'; }
for r in $(seq 1 "$2"); do
  order="ui root"; [ $((r % 2)) = 0 ] && order="root ui"
  for v in $order; do
    for g in korax goreos medico; do cp $g.json.orig gateways/$g/openclaw.json; done
    [ $v = root ] && sed -i 's#"controlUi": {#"controlUi": { "root": "/app/dist/control-ui",#' gateways/*/openclaw.json
    $C down -v >/dev/null 2>&1; for g in korax goreos medico; do [ -d state/$g ] && find state/$g -mindepth 1 -delete; done
    t0=$(date +%s%N); $C up -d >/dev/null 2>&1
    for p in 18789 18909 19029; do until curl -fs http://127.0.0.1:$p/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done; done
    t1=$(date +%s%N)
    c=0; for s in korax goreos medico; do c=$(echo "$c + $(cpu $($C ps -q $s))" | bc); done
    echo "round $r $v all_started_ms=$(( (t1-t0)/1000000 )) cpu_s=$c load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done
$C down -v >/dev/null 2>&1
