#!/usr/bin/env bash
# Make `kubectl kustomize` available: the kubernetes-target tests build every generated Kustomize
# base with it (offline; no cluster is needed or contacted).
#
#  - A kubectl whose `kustomize` builds a probe base (configMapGenerator `files`, secretGenerator
#    `env`, resources) is already there: print one line, exit 0. Changes nothing.
#  - Otherwise, as root with apt-get: install Debian's `kubernetes-client` (kubectl 1.20 on
#    bookworm, with Kustomize v2.0.3: old, but the generated bases keep to what it reads, and the
#    tests build them with it), running `apt-get update` once if the first try fails.
#  - Anywhere else: exit 1 saying what to install. dl.k8s.io is not used: it is not reachable from
#    the machines this project runs on, and Debian's package is enough for `kubectl kustomize`.
#
# Needs no stdin; safe under CI=true. Progress on stderr, one summary line on stdout.
set -euo pipefail
exec </dev/null

say() { echo "provision-kubectl: $*" >&2; }

# 0 when `kubectl kustomize` builds a base shaped like the generated ones.
kustomize_works() {
  command -v kubectl >/dev/null 2>&1 || return 1
  local dir rc=0
  dir="$(mktemp -d)"
  printf 'apiVersion: v1\nkind: Service\nmetadata: {name: probe}\nspec: {ports: [{port: 1}]}\n' >"$dir/svc.yaml"
  printf '{}\n' >"$dir/openclaw.json"
  printf 'PROBE_TOKEN=x\n' >"$dir/probe.env"
  printf 'namespace: probe\nresources: [svc.yaml]\nconfigMapGenerator:\n- name: probe-config\n  files: [openclaw.json=openclaw.json]\nsecretGenerator:\n- name: probe-secrets\n  env: probe.env\n' >"$dir/kustomization.yaml"
  timeout 60 kubectl kustomize "$dir" 2>/dev/null | grep -q 'name: probe-secrets-' || rc=1
  rm -rf "$dir"
  return "$rc"
}

summary() {
  local v
  v="$(kubectl version --client 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g')"
  echo "provision-kubectl: $(command -v kubectl): ${v:-unknown version}"
}

if kustomize_works; then
  summary
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
provision-kubectl: `kubectl kustomize` is needed by the kubernetes-target tests (offline, no cluster).
  Debian/Ubuntu as root: run this script again as root (it installs kubernetes-client).
  Elsewhere: install kubectl (https://kubernetes.io/docs/tasks/tools/), any version from 1.20 on.
MSG
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
LOG="${TMPDIR:-/tmp}/clawfed-provision-kubectl.log"
say "installing Debian's kubernetes-client (log: $LOG) ..."
if ! { apt-get install -y --no-install-recommends kubernetes-client >"$LOG" 2>&1 || { apt-get update >>"$LOG" 2>&1 && apt-get install -y --no-install-recommends kubernetes-client >>"$LOG" 2>&1; }; }; then
  tail -n 20 "$LOG" >&2 || true
  say "ERROR: apt-get install kubernetes-client failed"
  exit 1
fi
hash -r
if ! kustomize_works; then
  say "ERROR: kubernetes-client is installed, but \`kubectl kustomize\` cannot build a probe base"
  exit 1
fi
summary
