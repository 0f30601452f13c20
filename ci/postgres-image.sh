#!/usr/bin/env bash
# Builds a local PostgreSQL 15 Docker image for the Postgres store tests,
# without pulling anything from a registry.
#
# Why: CI machines here run Docker but cannot reach any image registry; they
# can reach the Debian package mirror. So the image is assembled from Debian
# packages with debootstrap and loaded with `docker import`. Its entrypoint
# (ci/postgres-image/docker-entrypoint.sh) mimics the official postgres image
# closely enough for server/store/postgres/ephemeral's Docker way (env vars,
# a `postgres -c fsync=off` command, a temporary init server on the unix
# socket only, then the real one on TCP).
#
# Usage: ci/postgres-image.sh [--force] [IMAGE]
#   IMAGE    defaults to $SCIM_TEST_POSTGRES_IMAGE, else scimharness/postgres:15-local
#   --force  rebuild even if IMAGE already exists
# Environment (optional):
#   SCIM_DEBIAN_MIRROR, SCIM_DEBIAN_SUITE  override the mirror/suite otherwise
#       read from this machine's apt sources (e.g. on a non-Debian host).
# Needs root (debootstrap); if not root it re-runs itself with sudo after the
# "image already exists" check, which only needs docker.
set -euo pipefail

PG_MAJOR=15
DEFAULT_IMAGE="scimharness/postgres:${PG_MAJOR}-local"

die() { echo "postgres-image: $*" >&2; exit 1; }
step() { echo "== $*"; }

usage() {
  sed -n '/^# Usage:/,/^# Needs root/p' "$0" | sed 's/^# \{0,1\}//'
}

force=0
image=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) [ -z "$image" ] || die "more than one image name given"; image="$arg" ;;
  esac
done
image="${image:-${SCIM_TEST_POSTGRES_IMAGE:-$DEFAULT_IMAGE}}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
entrypoint="$here/postgres-image/docker-entrypoint.sh"
[ -f "$entrypoint" ] || die "missing $entrypoint"
command -v docker >/dev/null || die "docker is not installed"

# Building takes a minute or two; CI calls this before every test run, so an
# existing image is reused unless --force asks for a fresh one.
old_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [ -n "$old_id" ] && [ "$force" = 0 ]; then
  echo "== $image already exists ($old_id); skipping build (use --force to rebuild)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "debootstrap needs root; run as root"
  step "re-running as root via sudo"
  args=("$image")
  [ "$force" = 0 ] || args=(--force "${args[@]}")
  exec sudo --preserve-env=SCIM_DEBIAN_MIRROR,SCIM_DEBIAN_SUITE,TMPDIR -- "$0" "${args[@]}"
fi

# --- Which Debian mirror and suite ------------------------------------------
# Never hard-code a mirror host: CI machines may only reach their own
# configured mirror (or a proxy/snapshot of it), so use what apt uses.

# Prints "URI SUITE COMPONENTS..." for each enabled binary ("deb") source, in
# the order apt reads them: sources.list, then sources.list.d/ alphabetically.
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # One-line style: deb [options] URI SUITE COMPONENT...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk '$1 == "deb" && NF >= 4 { $1 = ""; sub(/^ /, ""); print }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 style: blank-line separated stanzas of "Field: value" lines,
    # values may continue on indented lines; URIs/Suites may list several.
    awk '
      function flush(   u, s, nu, ns, uris, suites) {
        if ((" " f["types"] " ") ~ / deb / && tolower(f["enabled"]) != "no") {
          nu = split(f["uris"], uris, " "); ns = split(f["suites"], suites, " ")
          for (u = 1; u <= nu; u++)
            for (s = 1; s <= ns; s++) print uris[u], suites[s], f["components"]
        }
        delete f; key = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/   { if (key != "") { v = $0; gsub(/^[ \t]+|[ \t]+$/, "", v); f[key] = f[key] " " v }; next }
      {
        i = index($0, ":"); if (i == 0) next
        key = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", v); f[key] = v
      }
      END { flush() }
    ' "$f"
  done
}

# True if apt's downloaded Release file for URI/SUITE says it is Debian's own
# archive (not e.g. a third-party repo that also uses the suite "bookworm").
is_debian_archive() {
  local base="${1#*://}"
  base="${base%/}"
  base="/var/lib/apt/lists/${base//\//_}_dists_${2//\//_}"
  grep -qsx 'Origin: Debian' "${base}_InRelease" "${base}_Release"
}

# Picks "URI SUITE": among sources with the "main" component and a release
# suite (not -updates/-security/-backports, which are not full archives),
# prefer this machine's codename, then Debian's own archive, then file order.
pick_mirror() {
  local codename="$1" uri suite comps best="" best_rank=99 rank
  while read -r uri suite comps; do
    [[ " $comps " == *" main "* ]] || continue
    [[ "$suite" != *-* && "$suite" != */* ]] || continue
    rank=3
    is_debian_archive "$uri" "$suite" && rank=$((rank - 1))
    [ "$suite" = "$codename" ] && rank=$((rank - 2))
    if [ "$rank" -lt "$best_rank" ]; then best="$uri $suite" best_rank=$rank; fi
  done < <(apt_sources)
  echo "$best"
}

# shellcheck source=/dev/null
codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
read -r found_mirror found_suite <<<"$(pick_mirror "$codename")" || true
mirror="${SCIM_DEBIAN_MIRROR:-${found_mirror:-}}"
# The suite belongs with the mirror it came from; fall back to this
# machine's release codename (e.g. when only SCIM_DEBIAN_MIRROR is set).
if [ -n "${SCIM_DEBIAN_SUITE:-}" ]; then
  suite="$SCIM_DEBIAN_SUITE"
elif [ -z "${SCIM_DEBIAN_MIRROR:-}" ] && [ -n "${found_suite:-}" ]; then
  suite="$found_suite"
else
  suite="$codename"
fi
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*}; set SCIM_DEBIAN_MIRROR"
[ -n "$suite" ] || die "no Debian suite found (apt sources, /etc/os-release); set SCIM_DEBIAN_SUITE"

start=$SECONDS
step "building $image from $mirror ($suite)"

# --- Tools -------------------------------------------------------------------
if ! command -v debootstrap >/dev/null; then
  step "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi

# --- Scratch space, always cleaned up ----------------------------------------
# /var/tmp rather than /tmp: the root filesystem is ~500 MB before trimming,
# and /tmp is often a small tmpfs mounted nodev (debootstrap creates devices).
work="$(mktemp -d "${TMPDIR:-/var/tmp}/scim-postgres-image.XXXXXX")"
rootfs="$work/rootfs"
imported="" # the bare imported image, until the final build has tagged it
cleanup() {
  local status=$? mp
  # On failure, do not leave the untagged intermediate image behind.
  if [ "$status" != 0 ] && [ -n "$imported" ]; then
    docker image rm "$imported" >/dev/null 2>&1 || true
  fi
  # debootstrap bind-mounts /dev, /proc and /sys into the target (and tries to
  # unmount them itself). If it was interrupted some may still be mounted:
  # unmount, deepest first, before deleting, so rm cannot reach the host's
  # /dev/shm and friends. --one-file-system is a second guard.
  while read -r mp; do
    umount -l "$mp" 2>/dev/null || true
  done < <(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Root filesystem ---------------------------------------------------------
# minbase = essential packages + apt only; debootstrap resolves postgresql's
# dependencies (without recommends). Service start-up is blocked by
# debootstrap's own policy-rc.d while packages are configured.
step "debootstrap $suite (minbase + postgresql-$PG_MAJOR) into $rootfs"
if ! debootstrap --variant=minbase --components=main \
  --include="postgresql-$PG_MAJOR" \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  die "debootstrap failed (log above)"
fi

step "configuring the image"
# The package's postinst created a default cluster (15/main); the entrypoint
# makes its own in PGDATA at container start, so drop it, and stop anyone who
# later apt-installs into the image from getting another one.
rm -rf "$rootfs/var/lib/postgresql/$PG_MAJOR" "$rootfs/etc/postgresql/$PG_MAJOR"
sed -ri 's/^#?[[:space:]]*(create_main_cluster)[[:space:]]*=.*/\1 = false/' \
  "$rootfs/etc/postgresql-common/createcluster.conf"
# Same layout and modes as the official image; the entrypoint re-asserts them.
install -d -m 0700 -o "$(chroot "$rootfs" id -u postgres)" -g "$(chroot "$rootfs" id -g postgres)" \
  "$rootfs/var/lib/postgresql/data"
# (/run, not /var/run: that is an absolute symlink, which outside the chroot
# would point at this machine's /run.)
install -d -m 3777 -o "$(chroot "$rootfs" id -u postgres)" -g "$(chroot "$rootfs" id -g postgres)" \
  "$rootfs/run/postgresql"
install -d -m 0755 "$rootfs/docker-entrypoint-initdb.d"
install -m 0755 "$entrypoint" "$rootfs/usr/local/bin/docker-entrypoint.sh"
# Docker provides these at run time; do not ship the build machine's.
rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

step "trimming"
# Nothing in the image runs apt, reads docs or prints translated messages.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old \
  "$rootfs"/var/log/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/lintian "$rootfs"/usr/share/locale/* \
  "$rootfs/usr/share/postgresql/$PG_MAJOR/man"
# The locales package (a hard dependency) only adds locale *sources*; the
# image uses C.UTF-8, which is built into libc.
rm -rf "$rootfs/usr/share/i18n"
# JIT: libLLVM (and libz3, which only LLVM uses) is ~130 MB, over a third of
# the image, and JIT only pays off for long analytical queries, never for
# tests. With its provider library absent the server silently runs without
# JIT (jit.c checks that the file exists before loading it).
rm -rf "$rootfs/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit.so" \
  "$rootfs/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit_types.bc" \
  "$rootfs/usr/lib/postgresql/$PG_MAJOR/lib/bitcode" \
  "$rootfs"/usr/lib/*-linux-gnu*/libLLVM-*.so* \
  "$rootfs"/usr/lib/*-linux-gnu*/libz3.so*
chroot "$rootfs" ldconfig

# --- Import ------------------------------------------------------------------
step "docker import"
# --numeric-owner: the image's postgres uid must come from the rootfs, not
# from this machine's /etc/passwd. /dev, /proc, /sys are provided by docker.
# The import stays untagged: only the finished image (below) gets $image, so
# an interrupted build never leaves a half-configured image that the
# "already exists" check would then accept.
imported="$(tar --numeric-owner -C "$rootfs" \
  --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --change "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'EXPOSE 5432' \
    --change "LABEL org.opencontainers.image.description=\"PostgreSQL $PG_MAJOR from Debian $suite, built by scimharness ci/postgres-image.sh\"" \
    --message "ci/postgres-image.sh: debootstrap $suite from $mirror" \
    -)"

# STOPSIGNAL: `docker stop` (and testcontainers' Terminate) sends SIGTERM by
# default, which postgres treats as a "smart" shutdown that waits for every
# client to disconnect, so a test holding a connection pool would stall until
# docker's kill timeout. SIGINT is postgres' fast shutdown. `docker import
# --change` does not accept STOPSIGNAL (Docker 20.10: "not a valid change
# command"), so add it with a one-line build on top of the imported image.
# The classic builder (DOCKER_BUILDKIT=0) uses the local image as is and
# never contacts a registry; no build context is sent.
step "docker build (STOPSIGNAL SIGINT)"
# (Its output, including a "legacy builder is deprecated" notice on newer
# Docker versions, is only shown if the build fails.)
if ! printf 'FROM %s\nSTOPSIGNAL SIGINT\n' "$imported" |
  DOCKER_BUILDKIT=0 docker build --tag "$image" - >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  die "docker build failed (log above)"
fi
[ "$(docker image inspect --format '{{.Config.StopSignal}}' "$image")" = SIGINT ] ||
  die "STOPSIGNAL was not applied to $image"

new_id="$(docker image inspect --format '{{.Id}}' "$image")"
# With --force the previous build is now an untagged leftover; drop it
# (fails harmlessly if a container still uses it).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi

size="$(docker image inspect --format '{{.Size}}' "$image")"
step "built $image ($new_id), $(numfmt --to=iec-i --suffix=B "$size"), in $((SECONDS - start))s"
