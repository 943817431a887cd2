#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile with Debian's podman where no image registry is reachable, and runs
# the image twice, checking it from the host:
#  1. on its embedded devnet, on a read-only root filesystem with no capabilities: /healthz, /status
#     (the devnet's 1000 shards), /readyz, the image's own HEALTHCHECK, and that the edge runs as the
#     non-root user;
#  2. as deploy/compose/compose.yaml runs it: a devnet in a container of its own (advertising the name
#     `devnet` on a network of theirs) and the edge reading its directory from a read-only volume
#     (DEVNET_DIR). A blob is published through the edge, the edge restarted (memory cache gone), and
#     the blob read back: the bytes must be the same, and the devnet's storage nodes must have served
#     slivers for it (their own /_devnet/stats counters).
#
# Both base images are made here from Debian packages (apt's mirror is all it needs):
#   walrus-edge-base:bookworm      debootstrap --variant=minbase, imported with `podman import`
#   walrus-edge-base:bookworm-npm  that + Debian's nodejs/npm (npm-base.Containerfile): BUILD_BASE
#   walrus-edge-base:runtime       only libc6, libgcc-s1, libstdc++6 (+ gcc-12-base), unpacked from
#                                  the .debs debootstrap fetched, and a passwd/group: RUNTIME_BASE
# Needs root, podman, debootstrap and dpkg-deb (Debian: apt-get install podman debootstrap runc).
# Takes minutes the first time (debootstrap, apt and npm ci inside the build); reruns reuse the base
# images and podman's layer cache. Usage, from anywhere:
#   deploy/podman/build-and-run.sh            # build, run, check, then remove what it started
#   KEEP=1 deploy/podman/build-and-run.sh     # leave the containers of step 2 running
# Settings (environment): WORK_DIR (default /var/tmp/walrus-edge-podman), DEBIAN_MIRROR, HOST_PORT
# (default the first free one from 18080; step 2 takes the next free one), IMAGE (default localhost/walrus-edge:local), REBUILD_BASE=1 to remake the bases,
# CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt: the CAs npm trusts inside the build).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${WORK_DIR:-/var/tmp/walrus-edge-podman}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
# The first port from $1 up that nothing on this host listens on.
free_port() {
  local port=$1
  while [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; do port=$((port + 1)); done
  echo "$port"
}
host_port=${HOST_PORT:-$(free_port 18080)}
second_port=$(free_port $((host_port + 1)))
image=${IMAGE:-localhost/walrus-edge:local}
container=walrus-edge-smoke
devnet=walrus-edge-smoke-devnet
edge=walrus-edge-smoke-edge
network=walrus-edge-smoke-net
uid=10001
started=$(date +%s)
step() { printf '\n=== %s (+%ss)\n' "$1" "$(($(date +%s) - started))"; }
fail() {
  echo "build-and-run: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (rootful podman; debootstrap needs root)"
for tool in podman debootstrap dpkg-deb curl ss; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y podman debootstrap curl)"
done
mkdir -p "$work"

# Podman settings for this script alone (CONTAINERS_CONF), for what this kind of host needs:
# - runc instead of crun where cgroup v1 and v2 are mounted together ("hybrid"), which crun refuses
#   ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2");
# - rlimits no higher than this shell's: podman's defaults (nofile and nproc 1048576) fail with
#   "setrlimit RLIMIT_NOFILE: Operation not permitted" where the host's hard limits are lower.
runtime=""
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ] && command -v runc >/dev/null; then
  runtime=runc
elif [ -d /sys/fs/cgroup/unified ] && ! command -v runc >/dev/null; then
  echo "note: cgroup v1+v2 hybrid host and no runc; if podman fails, apt-get install -y runc" >&2
fi
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
{
  echo '[containers]'
  echo "default_ulimits = [\"nofile=${nofile}:${nofile}\", \"nproc=4096:4096\"]"
  echo '[engine]'
  [ -z "$runtime" ] || echo "runtime = \"$runtime\""
} >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"

have_image() { podman image exists "$1" && [ -z "${REBUILD_BASE:-}" ]; }

step "base rootfs: debootstrap --variant=minbase $suite"
rootfs="$work/rootfs"
if ! have_image localhost/walrus-edge-base:bookworm || ! have_image localhost/walrus-edge-base:runtime; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap failed, see $work/debootstrap.log"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - localhost/walrus-edge-base:bookworm
fi

step "runtime base: libc6, libgcc-s1, libstdc++6 unpacked from Debian's .debs"
if ! have_image localhost/walrus-edge-base:runtime; then
  runtime_root="$work/runtime-root"
  rm -rf "$runtime_root"
  mkdir -p "$runtime_root"/{etc,tmp}
  chmod 1777 "$runtime_root/tmp"
  for pkg in libc6 libgcc-s1 libstdc++6 gcc-12-base; do
    deb=$(ls "$rootfs"/var/cache/apt/archives/"${pkg}"_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || fail "no $pkg .deb in $rootfs/var/cache/apt/archives (REBUILD_BASE=1 remakes the rootfs)"
    dpkg-deb -x "$deb" "$runtime_root"
  done
  # Debian keeps the libraries in /usr/lib with /lib and /lib64 as links (merged /usr): the node
  # binary's interpreter is /lib64/ld-linux-x86-64.so.2.
  for dir in lib lib64 bin sbin; do [ -e "$runtime_root/$dir" ] || ln -s "usr/$dir" "$runtime_root/$dir"; done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nwalrus-edge:x:%s:%s::/data:/sbin/nologin\n' "$uid" "$uid" >"$runtime_root/etc/passwd"
  printf 'root:x:0:\nwalrus-edge:x:%s:\n' "$uid" >"$runtime_root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$runtime_root/etc/nsswitch.conf"
  tar -C "$runtime_root" -c . | podman import - localhost/walrus-edge-base:runtime
fi

step "build base: the rootfs + Debian's npm"
if ! have_image localhost/walrus-edge-base:bookworm-npm; then
  podman build -t localhost/walrus-edge-base:bookworm-npm -f "$repo/deploy/podman/npm-base.Containerfile" "$repo/deploy/podman"
fi

step "the image: podman build -f deploy/docker/Dockerfile"
# --format docker keeps HEALTHCHECK (the OCI image format has no such field; podman would drop it).
# npm inside the build trusts what this host trusts (its CA bundle, as the optional npm-ca secret), so
# a TLS-intercepting proxy between this host and the npm registry works there too.
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
secret=()
[ -s "$ca_bundle" ] && secret=(--secret "id=npm-ca,src=$ca_bundle")
podman build --format docker "${secret[@]}" \
  --build-arg BUILD_BASE=localhost/walrus-edge-base:bookworm-npm \
  --build-arg RUNTIME_BASE=localhost/walrus-edge-base:runtime \
  -f "$repo/deploy/docker/Dockerfile" -t "$image" "$repo"
podman image inspect "$image" --format 'image {{.Id}}: {{.Size}} bytes, user {{.Config.User}}, healthcheck {{.Config.Healthcheck.Test}}'

step "1. run it on the embedded devnet, port 127.0.0.1:$host_port"
cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
  podman volume rm -f walrus-edge-smoke-data >/dev/null 2>&1 || true
  if [ -z "${KEEP:-}" ]; then
    podman rm -f "$edge" "$devnet" >/dev/null 2>&1 || true
    podman volume rm -f walrus-edge-smoke-devnet walrus-edge-smoke-edge >/dev/null 2>&1 || true
    podman network rm -f "$network" >/dev/null 2>&1 || true
  fi
}
KEEP='' cleanup
trap cleanup EXIT
# Podman runs HEALTHCHECKs from systemd timers; without systemd it says so on stderr ("unable to get
# systemd connection to add healthchecks") and the check is run by hand below instead.
# With the restrictions deploy/kubernetes/deployment.yaml sets: a read-only root filesystem (and no
# tmpfs at /tmp either), no capabilities, no privilege gain; /data is the only writable place.
podman run -d --name "$container" -p "127.0.0.1:${host_port}:8080" -v walrus-edge-smoke-data:/data \
  --read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges "$image" >/dev/null

# Waits until URL answers 200, or fails with the container's log.
wait_for() {
  local url=$1 name=$2
  for _ in $(seq 1 120); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    [ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] ||
      { podman logs "$name" >&2; fail "$name stopped"; }
    sleep 1
  done
  podman logs "$name" >&2
  fail "$url did not answer"
}
base="http://127.0.0.1:${host_port}"
wait_for "$base/healthz" "$container"
healthz=$(curl -fsS "$base/healthz")
echo "GET /healthz -> $healthz"
[ "$healthz" = '{"ok":true}' ] || fail "unexpected /healthz: $healthz"
wait_for "$base/readyz" "$container"
status=$(curl -fsS "$base/status")
echo "GET /status -> $status"
echo "$status" | grep -q '"nShards":1000' || fail "unexpected /status: $status"
echo "GET /readyz -> $(curl -fsS "$base/readyz")"
# The image's own HEALTHCHECK, run now rather than waiting for its interval.
podman healthcheck run "$container" && echo "HEALTHCHECK: healthy" || fail "the image's HEALTHCHECK failed"
user=$(podman top "$container" huser user | tail -n +2)
echo "process user (host uid, container user): $user"
case "$user" in "$uid "*) ;; *) fail "the edge does not run as uid $uid: $user" ;; esac
podman rm -f "$container" >/dev/null

step "2. a devnet container and an edge reading it (as compose.yaml), port 127.0.0.1:$second_port"
podman network create "$network" >/dev/null
podman run -d --name "$devnet" --network "$network" --network-alias devnet --hostname devnet \
  -v walrus-edge-smoke-devnet:/data "$image" src/cli.ts devnet --dir /data --host devnet >/dev/null
# committee.json appears once the devnet serves (it prints one JSON line then).
for _ in $(seq 1 60); do podman logs "$devnet" 2>/dev/null | grep -q '"committee"' && break; sleep 1; done
podman logs "$devnet" 2>/dev/null | grep '"committee"' || { podman logs "$devnet" >&2; fail "the devnet did not start"; }
podman run -d --name "$edge" --network "$network" -p "127.0.0.1:${second_port}:8080" \
  -e NETWORK=devnet -e DEVNET_DIR=/devnet \
  -v walrus-edge-smoke-devnet:/devnet:ro -v walrus-edge-smoke-edge:/data "$image" >/dev/null
base="http://127.0.0.1:${second_port}"
wait_for "$base/readyz" "$edge"
echo "GET /readyz -> $(curl -fsS "$base/readyz")"
blob="$work/blob.bin"
head -c 300000 /dev/urandom >"$blob"
stored=$(curl -fsS -X PUT --upload-file "$blob" "$base/v1/blobs?epochs=1") || fail "PUT /v1/blobs failed"
blob_id=$(echo "$stored" | grep -o '"blobId":"[^"]*"' | head -1 | cut -d'"' -f4)
echo "PUT /v1/blobs (300000 random bytes) -> blobId $blob_id"
[ -n "$blob_id" ] || fail "no blobId in: $stored"
podman restart "$edge" >/dev/null
wait_for "$base/readyz" "$edge"
curl -fsS -D "$work/headers.txt" -o "$work/back.bin" "$base/v1/blobs/$blob_id" || fail "GET the blob failed"
cmp "$blob" "$work/back.bin" || fail "the blob read back differs from the one stored"
echo "GET /v1/blobs/$blob_id after a restart: the same 300000 bytes, $(grep -i '^x-cache' "$work/headers.txt" | tr -d '\r')"
# The storage nodes' own count of slivers served, read inside the devnet's container.
served=$(podman exec "$devnet" /usr/local/bin/node -e '
  const { nodes } = JSON.parse(require("fs").readFileSync("/data/committee.json", "utf8"));
  Promise.all(nodes.map((n) => fetch(n.url + "/_devnet/stats").then((r) => r.json())))
    .then((all) => console.log(all.reduce((sum, s) => sum + (s.requests.sliver ?? 0), 0)));')
echo "slivers the devnet's storage nodes served: $served"
[ "$served" -gt 0 ] || fail "the storage nodes served no sliver: the read did not reach them"
podman logs "$edge" 2>&1 | tail -n 2

step "done in $(($(date +%s) - started))s${KEEP:+ (left running: $devnet, $edge at $base)}"
