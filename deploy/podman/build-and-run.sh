#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile with Debian's podman where no image registry is reachable, starts the
# image on its embedded devnet and checks it from the host: /healthz, /status (the devnet's 1000
# shards), /readyz, the image's own HEALTHCHECK, and that the edge runs as the non-root user.
#
# Both base images are made here from Debian packages (apt's mirror is all it needs):
#   walrus-edge-base:bookworm      debootstrap --variant=minbase, imported with `podman import`
#   walrus-edge-base:bookworm-npm  that + Debian's nodejs/npm (npm-base.Containerfile): BUILD_BASE
#   walrus-edge-base:runtime       only libc6, libgcc-s1, libstdc++6 (+ gcc-12-base), unpacked from
#                                  the .debs debootstrap fetched, and a passwd/group: RUNTIME_BASE
# Needs root, podman, debootstrap and dpkg-deb (Debian: apt-get install podman debootstrap runc).
# Takes minutes the first time (debootstrap, apt and npm ci inside the build); reruns reuse the base
# images and podman's layer cache. Usage, from anywhere:
#   deploy/podman/build-and-run.sh            # build, run, check, then stop and remove the container
#   KEEP=1 deploy/podman/build-and-run.sh     # leave the container running (name: walrus-edge-smoke)
# Settings (environment): WORK_DIR (default /var/tmp/walrus-edge-podman), DEBIAN_MIRROR, HOST_PORT
# (default 18080), IMAGE (default localhost/walrus-edge:local), REBUILD_BASE=1 to remake the bases,
# CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt: the CAs npm trusts inside the build).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${WORK_DIR:-/var/tmp/walrus-edge-podman}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
host_port=${HOST_PORT:-18080}
image=${IMAGE:-localhost/walrus-edge:local}
container=walrus-edge-smoke
uid=10001
started=$(date +%s)
step() { printf '\n=== %s (+%ss)\n' "$1" "$(($(date +%s) - started))"; }
fail() {
  echo "build-and-run: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (rootful podman; debootstrap needs root)"
for tool in podman debootstrap dpkg-deb curl; do
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

step "run it on the embedded devnet, port 127.0.0.1:$host_port"
podman rm -f "$container" >/dev/null 2>&1 || true
podman volume rm -f walrus-edge-smoke-data >/dev/null 2>&1 || true
podman run -d --name "$container" -p "127.0.0.1:${host_port}:8080" -v walrus-edge-smoke-data:/data "$image" >/dev/null
cleanup() {
  if [ -z "${KEEP:-}" ]; then
    podman rm -f "$container" >/dev/null 2>&1 || true
    podman volume rm -f walrus-edge-smoke-data >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
base="http://127.0.0.1:${host_port}"
for _ in $(seq 1 120); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  podman container exists "$container" && [ "$(podman inspect -f '{{.State.Running}}' "$container")" = true ] ||
    { podman logs "$container" >&2; fail "the container stopped"; }
  sleep 1
done

step "checks from the host"
healthz=$(curl -fsS "$base/healthz") || { podman logs "$container" >&2; fail "/healthz did not answer"; }
echo "GET /healthz -> $healthz"
[ "$healthz" = '{"ok":true}' ] || fail "unexpected /healthz: $healthz"
status=$(curl -fsS "$base/status")
echo "GET /status -> $status"
echo "$status" | grep -q '"nShards":1000' || fail "unexpected /status: $status"
echo "GET /readyz -> $(curl -sS -o /dev/null -w '%{http_code}' "$base/readyz") $(curl -sS "$base/readyz")"
# The image's own HEALTHCHECK, run now rather than waiting for its interval.
podman healthcheck run "$container" && echo "HEALTHCHECK: healthy" || fail "the image's HEALTHCHECK failed"
user=$(podman top "$container" huser user | tail -n +2)
echo "process user (host uid, container user): $user"
case "$user" in "$uid "*) ;; *) fail "the edge does not run as uid $uid: $user" ;; esac
podman logs "$container" 2>&1 | tail -n 3

step "done in $(($(date +%s) - started))s${KEEP:+ (container $container left running at $base)}"
