#!/usr/bin/env bash
# usage: procs.sh IMAGE  (goreos alone, fresh state): per-process and per-thread CPU at started
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
sed -i "s#image: .*#image: $1#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f trace.yml ${2:+-f $2}"
$C down -v >/dev/null 2>&1; find state/goreos -mindepth 1 -delete
$C up -d goreos >/dev/null 2>&1
cid=$($C ps -q goreos)
# sample processes during start
( for i in $(seq 1 100); do docker top $cid -eo pid,ppid,time,args 2>/dev/null | tail -n +2; sleep 0.3; done ) > ${LOGS:-/tmp}/top-samples.txt &
SP=$!
until curl -fs http://127.0.0.1:18909/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.1; done
kill $SP
echo "cgroup cpu: $(cat /sys/fs/cgroup/cpuacct/docker/$cid*/cpuacct.usage 2>/dev/null || docker exec $cid cat /sys/fs/cgroup/cpuacct/cpuacct.usage)"
HZ=$(getconf CLK_TCK)
for pid in $(docker top $cid -eo pid | tail -n +2); do
  s=($(sed 's/.*) //' /proc/$pid/stat)); echo "pid $pid $(tr '\0' ' ' < /proc/$pid/cmdline | cut -c1-100) utime=$((${s[11]}*1000/HZ))ms stime=$((${s[12]}*1000/HZ))ms cutime=$((${s[13]}*1000/HZ))ms cstime=$((${s[14]}*1000/HZ))ms"
  for t in /proc/$pid/task/*; do ts=($(sed 's/.*) //' $t/stat)); echo "   thread $(cat $t/comm) $(( (${ts[11]}+${ts[12]})*1000/HZ ))ms"; done | sort -k3 -t' ' | awk '{print}' | sort -t' ' -k5 -rn | head -12
done
$C down -v >/dev/null 2>&1
