#!/usr/bin/env bash
# Builds, without any container registry, local equivalents of the images docker/ builds on:
#
#   nhi-guard/keycloak-base:<keycloak.version>   what quay.io/keycloak/keycloak:<version> provides:
#                                                 /opt/keycloak owned 1000:0 and group-writable,
#                                                 USER 1000, ENTRYPOINT kc.sh, ports 8080 8443 9000
#   nhi-guard/postgres:15                         (with --postgres) PostgreSQL 15 configured through
#                                                 the POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB
#                                                 variables the official postgres image reads
#
# Sources: Debian bookworm through debootstrap (a Debian mirror, default deb.debian.org) and the
# Keycloak distribution zip from the local Maven repository (downloaded by Maven if absent).
# An image that already exists is kept unless --force is given.
#
# Usage: docker/build-base-image.sh [--force] [--postgres] [--postgres-only]
#                                   [--mirror URL] [--keycloak-version V]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

force=false
keycloak=true
postgres=false
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
kc_version="$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$root/pom.xml" | head -n1)"

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=true ;;
    --postgres) postgres=true ;;
    --postgres-only) postgres=true; keycloak=false ;;
    --mirror) mirror="$2"; shift ;;
    --keycloak-version) kc_version="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

[ -n "$kc_version" ] || { echo "cannot read keycloak.version from $root/pom.xml" >&2; exit 1; }

kc_image="nhi-guard/keycloak-base:$kc_version"
jre_rootfs_image="nhi-guard/debian-jre:$suite"
pg_image="nhi-guard/postgres:15"
pg_rootfs_image="nhi-guard/debian-postgres:$suite"
work="$here/target/base-image"

log() { printf '[build-base-image] %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is required (${2:-})" >&2; exit 1; }
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# debootstrap a minimal Debian with the given packages and import it as an image.
import_rootfs() {
  local image="$1" packages="$2" dir
  if image_exists "$image" && [ "$force" = false ]; then
    log "$image exists, reusing it"
    return
  fi
  need debootstrap "apt-get install debootstrap"
  [ "$(id -u)" -eq 0 ] || { echo "debootstrap needs root" >&2; exit 1; }
  dir="$work/rootfs-${image//[\/:]/-}"
  rm -rf "$dir"
  mkdir -p "$dir"
  log "debootstrap $suite ($packages) from $mirror"
  local started=$SECONDS
  debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror" > "$work/debootstrap-${image//[\/:]/-}.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap-${image//[\/:]/-}.log" >&2; exit 1; }
  # Only what the image needs at run time: no package caches, no clusters created by postinst.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
  rm -rf "$dir"/var/lib/postgresql/15 "$dir"/etc/postgresql/15
  log "debootstrap took $((SECONDS - started)) s; importing as $image"
  tar --numeric-owner -C "$dir" -c . | docker import \
    -c 'ENV LANG=C.UTF-8' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$image" > /dev/null
  rm -rf "$dir"
}

build_keycloak_base() {
  if image_exists "$kc_image" && [ "$force" = false ]; then
    log "$kc_image exists, reusing it (--force rebuilds)"
    return
  fi
  need mvn "Maven fetches the Keycloak distribution"
  import_rootfs "$jre_rootfs_image" "openjdk-17-jre-headless,ca-certificates"

  local ctx="$work/keycloak-context"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  log "unpacking org.keycloak:keycloak-quarkus-dist:$kc_version:zip from the local Maven repository"
  (cd "$work" && mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$kc_version:zip" -DoutputDirectory="$ctx") 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g'   # Maven 3.8 prints colour resets even in batch mode
  mv "$ctx/keycloak-$kc_version" "$ctx/keycloak"
  mkdir -p "$ctx/keycloak/data"
  chmod -R g+rwX "$ctx/keycloak"
  cp "$here/base/keycloak.Dockerfile" "$ctx/Dockerfile"

  log "building $kc_image"
  docker build --quiet --build-arg ROOTFS_IMAGE="$jre_rootfs_image" \
    --label org.opencontainers.image.version="$kc_version" -t "$kc_image" "$ctx" > /dev/null
  rm -rf "$ctx"
}

build_postgres() {
  if image_exists "$pg_image" && [ "$force" = false ]; then
    log "$pg_image exists, reusing it (--force rebuilds)"
    return
  fi
  if [ "$pg_rootfs_done" = false ]; then
    import_rootfs "$pg_rootfs_image" "postgresql-15"
  fi
  local ctx="$work/postgres-context"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp "$here/base/postgres.Dockerfile" "$ctx/Dockerfile"
  cp "$here/base/postgres-entrypoint.sh" "$ctx/"
  log "building $pg_image"
  docker build --quiet --build-arg ROOTFS_IMAGE="$pg_rootfs_image" -t "$pg_image" "$ctx" > /dev/null
  rm -rf "$ctx"
}

need docker "apt-get install docker.io, then start dockerd"
docker info > /dev/null 2>&1 || { echo "no Docker engine reachable (start dockerd)" >&2; exit 1; }
mkdir -p "$work"
started=$SECONDS
# Both root file systems wanted: debootstrap them side by side (mostly download time).
pg_rootfs_done=false
if [ "$keycloak" = true ] && [ "$postgres" = true ] && ! { image_exists "$pg_image" && [ "$force" = false ]; }; then
  import_rootfs "$pg_rootfs_image" "postgresql-15" &
  pg_rootfs_pid=$!
  if [ "$keycloak" = true ]; then build_keycloak_base; fi
  wait "$pg_rootfs_pid" || { echo "building the PostgreSQL root file system failed" >&2; exit 1; }
  pg_rootfs_done=true
elif [ "$keycloak" = true ]; then
  build_keycloak_base
fi
if [ "$postgres" = true ]; then build_postgres; fi
log "done in $((SECONDS - started)) s"
