#!/usr/bin/env bash
# usage: stop-telegram.sh IMAGE WAIT_S [fake] : medico (Telegram channel) alone, fresh state; started;
# wait WAIT_S; docker stop -t 60; prints how long the stop took and the exit code, keeps the log in
# $LOGS/stop-telegram-<mode>-WAIT_S.log. Without `fake` Telegram is unreachable as in the bench
# fixture (dummy token, no DNS); with `fake`, channels.telegram.apiRoot points at a stand-in Bot API
# (tgfake-server.cjs, run with the image's node on medico's egress network). Restores the config.
here=$(cd "$(dirname "$0")" && pwd)
cd "${OUT:?set OUT to a clawfed generate output of federations/korax.yaml (see setup.sh)}"
LOGS=${LOGS:-/tmp}; MODE=${3:-unreachable}
cp gateways/medico/openclaw.json medico.json.orig
trap 'cp medico.json.orig gateways/medico/openclaw.json; docker rm -f clawfed-tgfake >/dev/null 2>&1' EXIT
[ "$MODE" = fake ] && sed -i 's#"botToken": "${TG_TOKEN_MEDICO}",#"botToken": "${TG_TOKEN_MEDICO}", "apiRoot": "http://tgfake:8081",#' gateways/medico/openclaw.json
sed -i "s#image: .*#image: $1#" docker-compose.yml
C="docker-compose -p korax -f docker-compose.yml -f trace.yml"
$C down -v >/dev/null 2>&1; find state/medico -mindepth 1 -delete
$C up --no-start medico >/dev/null 2>&1
if [ "$MODE" = fake ]; then
  docker run -d --name clawfed-tgfake --network korax_medico-egress --network-alias tgfake -v "$here/tgfake-server.cjs:/srv/server.cjs:ro" --entrypoint node "$1" /srv/server.cjs >/dev/null
fi
$C start medico >/dev/null 2>&1
until curl -fs http://127.0.0.1:19029/startupz 2>/dev/null | grep -q '"started"'; do sleep 0.2; done
cid=$($C ps -q medico); sleep "$2"
t0=$(date +%s%N); docker stop -t 60 "$cid" >/dev/null; t1=$(date +%s%N)
echo "$MODE stop_ms=$(( (t1-t0)/1000000 )) exit=$(docker inspect -f '{{.State.ExitCode}}' "$cid")"
docker logs -t "$cid" > "$LOGS/stop-telegram-$MODE-$2.log" 2>&1
[ "$MODE" = fake ] && docker logs clawfed-tgfake > "$LOGS/tgfake-$2.log" 2>&1
$C down -v >/dev/null 2>&1
