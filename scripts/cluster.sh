#!/usr/bin/env bash
# A multi-node swarm on this one machine: each node is a Docker engine in a container (docker-in-docker,
# recipe in ../shared/DOCKER-ON-CI.md). For tests and trying things out; not for production.
#
#   cluster.sh up [N]        start N nodes (default 3), node 1 the manager; prints the manager's DOCKER_HOST
#   cluster.sh down          remove the nodes and their network
#   cluster.sh status        list nodes as the manager sees them
#   cluster.sh load IMAGE..  copy local images onto every node (there is no registry)
#   cluster.sh stop NODE     freeze a node (docker pause): the swarm marks it Down
#   cluster.sh start NODE    unfreeze it
#   cluster.sh cut NODE      disconnect a node from the others (a network partition)
#   cluster.sh heal NODE     reconnect it
# NODE is a number (1..N). Every object carries the label berth.test=cluster. Every node mounts
# $STORE at the same path (a shared backup store, as an NFS mount would be); `down` empties it.
source "$(dirname "$0")/lib.sh"

NET=berth-simnet
SUBNET_PREFIX=10.88.0
PREFIX=berth-sim
STORE=/var/lib/berth-cluster-store
node_name() { echo "$PREFIX$1"; }
node_ip() { echo "$SUBNET_PREFIX.$((10 + $1))"; }
on() { local n=$1; shift; docker exec "$(node_name "$n")" "$@"; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
check_node() { [[ "${1:-}" =~ ^[0-9]+$ ]] && docker inspect "$(node_name "$1")" >/dev/null 2>&1 || die "no such node '${1:-}'"; }

up() {
  local n=${1:-3}
  [[ "$n" =~ ^[1-9]$ ]] || die "node count must be 1-9 (got '$n')"
  docker_ready || "$BERTH_ROOT/scripts/docker-up.sh"
  "$BERTH_ROOT/scripts/images.sh" dind >/dev/null
  mkdir -p "$STORE"
  docker network inspect "$NET" >/dev/null 2>&1 ||
    docker network create --label berth.test=cluster --subnet "$SUBNET_PREFIX.0/24" "$NET" >/dev/null
  for i in $(seq 1 "$n"); do
    docker inspect "$(node_name "$i")" >/dev/null 2>&1 && continue
    # --privileged fails on these VMs; this capability set is what works (see DOCKER-ON-CI.md).
    # Berth's registry (multi-node builds) listens on plain HTTP at a node's address: allowed here.
    docker run -d --label berth.test=cluster \
      --cap-add ALL --cap-drop MAC_OVERRIDE --cap-drop SYS_RESOURCE \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
      --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run -v "$STORE:$STORE" \
      --name "$(node_name "$i")" --hostname "$(node_name "$i")" --network "$NET" --ip "$(node_ip "$i")" \
      local/dind:1 dockerd --host unix:///var/run/docker.sock --host tcp://0.0.0.0:2375 \
      --insecure-registry "$SUBNET_PREFIX.0/24" >/dev/null
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 60); do on "$i" docker info >/dev/null 2>&1 && break; sleep 1; done
    on "$i" docker info >/dev/null 2>&1 || die "node $i's engine did not start"
  done
  if [ "$(on 1 docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    on 1 docker swarm init --advertise-addr "$(node_ip 1)" >/dev/null
  fi
  local token; token=$(on 1 docker swarm join-token -q worker)
  for i in $(seq 2 "$n"); do
    [ "$(on "$i" docker info --format '{{.Swarm.LocalNodeState}}')" = active ] && continue
    on "$i" docker swarm join --token "$token" "$(node_ip 1):2377" >/dev/null
  done
  for _ in $(seq 1 60); do
    [ "$(on 1 docker node ls --format '{{.Status}}' | grep -c Ready)" -eq "$n" ] && break
    sleep 1
  done
  [ "$(on 1 docker node ls --format '{{.Status}}' | grep -c Ready)" -eq "$n" ] || die "not all $n nodes became Ready"
  log "$n nodes Ready; manager: DOCKER_HOST=tcp://$(node_ip 1):2375"
  echo "tcp://$(node_ip 1):2375"
}

down() {
  local ids; ids=$(docker ps -aq --filter label=berth.test=cluster)
  [ -n "$ids" ] && docker rm -f -v $ids >/dev/null
  docker network ls -q --filter label=berth.test=cluster | xargs -r docker network rm >/dev/null
  rm -rf "${STORE:?}"
  log "cluster removed"
}

load() {
  [ $# -gt 0 ] || die "name at least one image"
  local nodes; nodes=$(docker ps --filter label=berth.test=cluster --format '{{.Names}}' | sort)
  for node in $nodes; do docker save "$@" | docker exec -i "$node" docker load -q >/dev/null; done
  log "loaded $* onto $(echo "$nodes" | wc -w) nodes"
}

cmd=${1:-}; shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  status) on 1 docker node ls ;;
  load) load "$@" ;;
  stop) check_node "${1:-}"; docker pause "$(node_name "$1")" >/dev/null ;;
  start) check_node "${1:-}"; docker unpause "$(node_name "$1")" >/dev/null ;;
  cut) check_node "${1:-}"; docker network disconnect "$NET" "$(node_name "$1")" ;;
  heal) check_node "${1:-}"; docker network connect --ip "$(node_ip "$1")" "$NET" "$(node_name "$1")" ;;
  *) usage ;;
esac
