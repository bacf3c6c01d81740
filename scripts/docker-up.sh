#!/usr/bin/env bash
# Makes a real Docker Engine and a single-node swarm available. Idempotent: does nothing that is
# already done. Recipe and this kernel's limits: ../shared/DOCKER-ON-CI.md (dnsrr, host-mode ports).
source "$(dirname "$0")/lib.sh"

if ! docker_ready; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  # Debian's package ships a systemd unit that does not run here; start the daemon ourselves.
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd"
    mkdir -p /var/log
    nohup /usr/sbin/dockerd --host unix:///var/run/docker.sock >/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker_ready && break; sleep 1; done
  docker_ready || die "dockerd did not answer within 60 s (see /var/log/dockerd.log)"
fi

state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" != "active" ]; then
  addr="${BERTH_SWARM_ADVERTISE_ADDR:-127.0.0.1}"
  log "initializing a single-node swarm (advertise $addr)"
  docker swarm init --advertise-addr "$addr" >/dev/null
fi
log "docker $(docker version --format '{{.Server.Version}}') ready, swarm active"
