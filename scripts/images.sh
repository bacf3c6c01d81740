#!/usr/bin/env bash
# Builds the local images that tests and the demo use, without any registry. Each image is skipped
# when its tag exists at its revision (a Dockerfile folder's digest); BERTH_REBUILD_IMAGES=1 rebuilds. Usage: images.sh [name...]
#   debian  local/debian:bookworm   (debootstrap minbase, imported)
#   httpd   local/httpd:1           (2 MB busybox httpd on :8080, tiny test app)
#   caddy   local/caddy:2           postgres local/postgres:15
#   demo    local/berth-demo:1      dind     local/dind:1 (multi-node test bed)
#   wsecho  local/ws-echo:1         (WebSocket echo server on the demo image's Node)
#   registry local/registry:1       (Debian's docker-registry: Berth's registry for multi-node builds)
source "$(dirname "$0")/lib.sh"
docker_ready || "$BERTH_ROOT/scripts/docker-up.sh"

# have TAG [REVISION]: the tag exists (and carries label berth.image.revision=REVISION when given).
have() {
  [ -z "${BERTH_REBUILD_IMAGES:-}" ] || return 1
  local rev
  rev=$(docker image inspect -f '{{index .Config.Labels "berth.image.revision"}}' "$1" 2>/dev/null) || return 1
  [ -z "${2:-}" ] || [ "$rev" = "$2" ]
}

build_debian() {
  have local/debian:bookworm && return 0
  apt_install debootstrap
  local rootfs; rootfs=$(mktemp -d /tmp/berth-rootfs.XXXXXX)
  log "debootstrap bookworm (about 30 s)"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/tmp/berth-debootstrap.log 2>&1 \
    || die "debootstrap failed (see /tmp/berth-debootstrap.log)"
  tar -C "$rootfs" -c . | docker import - local/debian:bookworm >/dev/null
  rm -rf "$rootfs"
}

build_httpd() {
  have local/httpd:1 2 && return 0
  apt_install busybox-static
  local rootfs; rootfs=$(mktemp -d /tmp/berth-httpd.XXXXXX)
  mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  chroot "$rootfs" /bin/busybox --install -s /bin
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >"$rootfs/etc/passwd"
  log "importing local/httpd:1"
  # MESSAGE sets the page body so tests can tell versions apart. The shell stays PID 1 and exits on
  # SIGTERM (busybox httpd as PID 1 ignores it, so every stop would wait out the 10 s grace period).
  tar -C "$rootfs" -c . | docker import \
    -c 'EXPOSE 8080' \
    -c 'LABEL berth.image.revision=2' \
    -c 'CMD ["/bin/sh","-c","echo \"${MESSAGE:-hello from berth}\" > /www/index.html; trap \"exit 0\" TERM INT; /bin/httpd -f -p 8080 -h /www & wait"]' \
    - local/httpd:1 >/dev/null
  rm -rf "$rootfs"
}

# A Dockerfile image is rebuilt whenever its folder changes: its revision is the folder's digest.
build_dockerfile() { # tag dir
  local rev
  rev=$(cd "$BERTH_ROOT/images/$2" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  have "$1" "$rev" && return 0
  log "building $1"
  docker build --network host -q --label "berth.image.revision=$rev" -t "$1" "$BERTH_ROOT/images/$2" >/dev/null
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(debian httpd caddy postgres demo wsecho dind registry)
build_debian
for t in "${targets[@]}"; do
  case "$t" in
    debian) ;;
    httpd) build_httpd ;;
    caddy) build_dockerfile local/caddy:2 caddy ;;
    postgres) build_dockerfile local/postgres:15 postgres ;;
    demo) build_dockerfile local/berth-demo:1 demo ;;
    dind) build_dockerfile local/dind:1 dind ;;
    wsecho) build_dockerfile local/berth-demo:1 demo && build_dockerfile local/ws-echo:1 ws-echo ;;
    registry) build_dockerfile local/registry:1 registry ;;
    *) die "unknown image '$t' (known: debian httpd caddy postgres demo wsecho dind registry)" ;;
  esac
done
log "images ready: ${targets[*]}"
