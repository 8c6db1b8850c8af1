#!/usr/bin/env bash
# goreos alone on the warm image: a full per-gateway cache (filled by a clean exit of this very
# gateway) vs the image's read-only cache, alternating restarts of the same state.
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
sed -i "s#image: .*#image: openclaw:2026.9.6-cs-local#" docker-compose.yml
B="docker-compose -p korax -f docker-compose.yml"
$B down -v >/dev/null 2>&1; find state/goreos -mindepth 1 -delete
one() { # $1 = extra file or "", $2 = label
  t0=$(date +%s%N); $B ${1:+-f $1} up -d --force-recreate goreos >/dev/null 2>&1; t1=$(date +%s%N)
  until curl -fs http://127.0.0.1:18909/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done; t2=$(date +%s%N)
  cid=$($B ps -q goreos); cpu=$(docker exec $cid cat /sys/fs/cgroup/cpuacct/cpuacct.usage)
  echo "$2 started_ms=$(( (t2-t1)/1000000 )) cpu_s=$(echo "scale=2; $cpu/1000000000" | bc) load=$(cut -d' ' -f1 /proc/loadavg)"
  sleep 3; $B ${1:+-f $1} stop -t 60 goreos >/dev/null 2>&1
}
one statecache.yml fill
one statecache.yml fill2
echo "state cache entries: $(ls state/goreos/compile-cache/v*/ | wc -l)"
for i in 1 2 3; do one "" image; one statecache.yml full; done
$B down -v >/dev/null 2>&1; find state/goreos -mindepth 1 -delete
