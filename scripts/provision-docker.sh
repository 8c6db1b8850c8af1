#!/usr/bin/env bash
# The one Docker provisioning helper (demo, tests, CI): make sure a Docker Engine answers and a
# compose CLI (`docker compose` v2 or `docker-compose` v1) is present.
#
#  - Docker answers and compose is there: print one summary line, exit 0. Changes nothing.
#  - Otherwise, as root on Debian (or a Debian derivative): `apt-get update` once, install what is
#    missing of docker.io, docker-compose and debootstrap (the offline image build needs it), start
#    `dockerd` in the background (these machines have no systemd; log: /tmp/clawfed-dockerd.log),
#    and wait up to 60 s for `docker info`.
#  - Anywhere else: exit 1 saying what to install.
#
# Needs no stdin; safe under `set -euo pipefail` and CI=true. Output: progress on stderr, one
# summary line on stdout.
set -euo pipefail
exec </dev/null

DOCKERD_LOG="${CLAWFED_DOCKERD_LOG:-/tmp/clawfed-dockerd.log}"
WAIT_SECONDS="${CLAWFED_DOCKERD_WAIT:-60}"

say() { echo "provision-docker: $*" >&2; }
die() { echo "provision-docker: ERROR: $*" >&2; exit 1; }

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

# Sets COMPOSE to "v2 <version>" or "v1 <version>"; empty when neither is present.
COMPOSE=""
detect_compose() {
  local v
  COMPOSE=""
  if command -v docker >/dev/null 2>&1 && v="$(timeout 20 docker compose version --short 2>/dev/null)" && [ -n "$v" ]; then
    COMPOSE="v2 (docker compose) $v"
  elif command -v docker-compose >/dev/null 2>&1 && v="$(timeout 20 docker-compose version --short 2>/dev/null)" && [ -n "$v" ]; then
    COMPOSE="v1 (docker-compose) $v"
  fi
}

summary() {
  local server client
  server="$(timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
  client="$(timeout 20 docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')"
  echo "provision-docker: Docker Engine $server (client $client), compose $COMPOSE"
}

is_root() { [ "$(id -u)" = "0" ]; }
is_debian() {
  [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  ( . /etc/os-release; case " ${ID:-} ${ID_LIKE:-} " in *" debian "*) exit 0 ;; *) exit 1 ;; esac )
}

what_to_install() {
  cat >&2 <<'EOF'
provision-docker: Docker Engine and compose are needed (the e2e tests and `clawfed up` run real containers).
  Debian/Ubuntu as root: run this script again as root (it installs docker.io, docker-compose and debootstrap).
  Other Linux: install Docker Engine (https://docs.docker.com/engine/install/) with the compose plugin
               (package docker-compose-plugin) and start it (systemctl start docker, or dockerd &).
               Building the OpenClaw image offline also needs debootstrap and root.
  macOS/Windows: install and start Docker Desktop (it includes compose).
  Not root: add yourself to the `docker` group, or run as root.
EOF
}

# debootstrap matters only until the offline image build has made its Debian base image once.
needs_debootstrap() {
  ! command -v debootstrap >/dev/null 2>&1 && ! timeout 20 docker image inspect clawfed/debian-base:bookworm >/dev/null 2>&1
}

detect_compose
if docker_answers && [ -n "$COMPOSE" ]; then
  if needs_debootstrap; then
    if is_root && is_debian && command -v apt-get >/dev/null 2>&1; then
      say "apt-get install debootstrap (the offline OpenClaw image build needs it once) ..."
      export DEBIAN_FRONTEND=noninteractive
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap; } >&2 || die "apt-get install debootstrap failed"
    else
      say "note: debootstrap is missing; the offline OpenClaw image build needs it (and root) once to make its Debian base"
    fi
  fi
  summary
  exit 0
fi

if ! is_root || ! is_debian || ! command -v apt-get >/dev/null 2>&1; then
  docker_answers || say "no Docker Engine answers \`docker info\`"
  [ -n "$COMPOSE" ] || say "neither \`docker compose\` (v2) nor \`docker-compose\` (v1) is installed"
  if is_root && command -v dockerd >/dev/null 2>&1 && ! docker_answers; then
    say "dockerd is installed but not running: start it (systemctl start docker, or: dockerd >$DOCKERD_LOG 2>&1 &)"
  fi
  what_to_install
  exit 1
fi

# --- Debian (or derivative), root: install what is missing ---------------------------------------
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update_once() {
  if [ "$updated" = 0 ]; then
    say "apt-get update ..."
    apt-get update -qq >&2 || die "apt-get update failed (are the Debian mirrors in /etc/apt/sources.list* reachable?)"
    updated=1
  fi
}
# (No `| grep -q` on a producer under pipefail: grep's early exit would fail the pipeline.)
has_candidate() { local out; out="$(apt-cache policy "$1" 2>/dev/null || true)"; [[ "$out" == *"Candidate: "[0-9]* ]]; }

pkgs=()
command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
if [ ${#pkgs[@]} -gt 0 ] || [ -z "$COMPOSE" ]; then
  apt_update_once
fi
if [ -z "$COMPOSE" ]; then
  # Debian ships compose v1 as docker-compose; newer Ubuntu only as docker-compose-v2.
  for p in docker-compose docker-compose-v2 docker-compose-plugin; do
    if has_candidate "$p"; then pkgs+=("$p"); break; fi
  done
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  say "apt-get install ${pkgs[*]} ..."
  # policy-rc.d-less machines without systemd may print service start warnings here; harmless.
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 || die "apt-get install ${pkgs[*]} failed"
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is still missing after installing docker.io"

# --- Start the daemon when it does not answer ----------------------------------------------------
if ! docker_answers; then
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but not answering yet; waiting"
  else
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    # setsid: the daemon must outlive this script and the process group that ran it.
    setsid -f dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null || die "could not start dockerd (see $DOCKERD_LOG)"
  fi
  waited=0
  until docker_answers; do
    if ! pgrep -x dockerd >/dev/null 2>&1; then
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd exited during startup (log: $DOCKERD_LOG); it needs root with its usual privileges (iptables, mounts)"
    fi
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer \`docker info\` within ${WAIT_SECONDS} s (log: $DOCKERD_LOG)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "dockerd answers after ${waited} s"
fi

detect_compose
[ -n "$COMPOSE" ] || die "no compose CLI after installation: install docker-compose (v1) or the docker compose v2 plugin"
summary
