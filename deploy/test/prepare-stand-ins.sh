#!/usr/bin/env bash
# prepare-stand-ins.sh: builds, once, the local images the deploy tests (tests/MoleculeGuardian.DeployTests) need,
# without any container registry. From one debootstrapped Debian 12 root file system:
#
#   <CONCIERGE_IMAGE>  the Dockerfile's default concierge base (python:3.11-slim-bookworm): plain Debian 12, no Python
#                      (the tests' stand-in concierge entrypoint and runtime are shell scripts)
#   <SDK_IMAGE>        the Dockerfile's default build image: Debian 12 + this machine's .NET SDK, ICU, OpenSSL and
#                      this machine's CA bundle (NuGet may be reached through a TLS-inspecting proxy)
#   localhost/molecule-guardian-standin/systemd:12     Debian 12 with systemd as PID 1 and user agent (uid/gid 1000)
#   localhost/molecule-guardian-standin/concierge:12   <CONCIERGE_IMAGE> + user agent and the platform-agent image's
#                      two-step entrypoint (/platform-agent-entrypoint.sh fills absent /configs files from a baked
#                      template, then execs /entrypoint.sh: root, chown -R agent:agent /configs, drop to agent) and a
#                      runtime (stand-ins/concierge/)
#
# The first two are tagged with exactly the names the Dockerfile's ARG defaults use (read from the Dockerfile), so the
# build resolves them locally (`podman build --pull=never`). Everything is cached: the root file system as a tarball
# under $MG_DEPLOY_CACHE (default ~/.cache/molecule-guardian-deploy), the images in podman's storage, each labelled
# with a hash of what it was made from and rebuilt only when that changes. Needs root, podman, runc and debootstrap.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
cache=${MG_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/molecule-guardian-deploy}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly base_image=localhost/molecule-guardian-standin/debian:12
readonly systemd_image=localhost/molecule-guardian-standin/systemd:12
readonly concierge_standin_image=localhost/molecule-guardian-standin/concierge:12
readonly label=org.molecule-guardian.stand-in

log() {
    printf 'prepare-stand-ins: %s\n' "$*" >&2
}

for tool in podman debootstrap tar sha256sum dotnet; do
    command -v "$tool" >/dev/null || { log "missing $tool (apt-get install podman runc debootstrap)"; exit 1; }
done
((EUID == 0)) || { log "run as root (debootstrap and rootful podman)"; exit 1; }

# The default of build argument NAME in the Dockerfile, so the stand-ins cannot drift from it.
dockerfile_default() {
    local value
    value=$(sed -n "s/^ARG $1=//p" "$repo/deploy/container/Dockerfile")
    [[ -n $value ]] || { log "no 'ARG $1=' default in deploy/container/Dockerfile"; exit 1; }
    printf '%s' "$value"
}

# A short name such as python:3.11-slim-bookworm is Docker Hub's docker.io/library/python:3.11-slim-bookworm.
qualified() {
    case $1 in
        */*) case ${1%%/*} in *.* | *:* | localhost) printf '%s' "$1" ;; *) printf 'docker.io/%s' "$1" ;; esac ;;
        *) printf 'docker.io/library/%s' "$1" ;;
    esac
}

current_key() {
    podman image inspect --format "{{index .Labels \"$label\"}}" "$1" 2>/dev/null || true
}

concierge_image=$(qualified "$(dockerfile_default CONCIERGE_IMAGE)")
sdk_image=$(qualified "$(dockerfile_default SDK_IMAGE)")
sdk_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
ca_bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
[[ -f $ca_bundle ]] || { log "no CA bundle at $ca_bundle"; exit 1; }

# 1. Debian 12 (minbase), debootstrapped once and kept as a tarball.
rootfs_tar=$cache/debian-12-minbase.tar
if [[ ! -f $rootfs_tar ]]; then
    log "debootstrap Debian 12 from $mirror"
    mkdir -p "$cache"
    rm -rf "$cache/rootfs"
    debootstrap --variant=minbase bookworm "$cache/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    tar -C "$cache/rootfs" -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$cache/rootfs"
fi
# The tarball's size and time stand for its content: a new debootstrap makes a new key.
rootfs_key=$(stat -c '%s %Y' "$rootfs_tar" | sha256sum | cut -c1-16)

# 2. The base image, imported from the tarball.
if [[ $(current_key "$base_image") != "$rootfs_key" ]]; then
    log "importing $base_image"
    podman import --change "LABEL $label=$rootfs_key" --change 'CMD ["/bin/bash"]' "$rootfs_tar" "$base_image" >/dev/null
fi

# build IMAGE KEY BASE CONTAINERFILE [podman build options...]: builds IMAGE from deploy/test/stand-ins/CONTAINERFILE
# (its directory is the context) on BASE, unless it exists with the same key.
build() {
    local image=$1 key=$2 base=$3 containerfile=$here/stand-ins/$4
    shift 4
    if [[ $(current_key "$image") == "$key" ]]; then
        log "$image is up to date"
        return
    fi
    log "building $image"
    podman build --pull=never --label "$label=$key" --build-arg "BASE=$base" -t "$image" -f "$containerfile" \
        "$@" "$(dirname "$containerfile")" >&2
}

recipe_key() {
    cat "$@" | sha256sum | cut -c1-16
}

# 3. The concierge base: Debian 12 as it is.
podman tag "$base_image" "$concierge_image"

# 4. The SDK image: the SDK the real image ships, here this machine's.
sdk_key=$(printf '%s\n%s\n' "$rootfs_key" "$(dotnet --version)" | recipe_key - "$here/stand-ins/sdk.Containerfile" "$ca_bundle")
build "$sdk_image" "$sdk_key" "$base_image" sdk.Containerfile -v "$sdk_dir:/host-sdk:ro" -v "$ca_bundle:/host-ca.crt:ro"

# 5. A host with systemd as PID 1 and the concierge's user, for the unit.
systemd_key=$(printf '%s\n' "$rootfs_key" | recipe_key - "$here/stand-ins/systemd.Containerfile")
build "$systemd_image" "$systemd_key" "$base_image" systemd.Containerfile

# 6. The concierge stand-in the sidecar tests build the Dockerfile on (CONCIERGE_IMAGE=...).
mapfile -t concierge_files < <(find "$here/stand-ins/concierge" -type f | LC_ALL=C sort)
concierge_key=$(printf '%s\n' "$rootfs_key" "${concierge_files[@]#"$here"}" | recipe_key - "${concierge_files[@]}")
build "$concierge_standin_image" "$concierge_key" "$concierge_image" concierge/Containerfile

log "ready: $concierge_image, $sdk_image, $systemd_image, $concierge_standin_image"
