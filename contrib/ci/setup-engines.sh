#!/usr/bin/env bash
# Installs and starts the three container-engine setups the end-to-end tests run on:
# docker (dockerd started here), rootful podman, and rootless podman as an unprivileged user,
# the tools the testbed images are built with, and the shells whose completion scripts the CLI
# tests load (bash is there already).
# Idempotent: a second run only checks. Needs root and Debian's package archive.
# Each VM quirk handled here is described where it is handled; those a user of bot-bottle may
# meet too are in the README's "Known host issues".
set -euo pipefail

ROOTLESS_USER=${BOT_BOTTLE_ROOTLESS_USER:-bbrootless}
DOCKERD_LOG=${BOT_BOTTLE_DOCKERD_LOG:-/var/log/bot-bottle-dockerd.log}
PACKAGES=(podman runc netavark aardvark-dns slirp4netns uidmap iptables docker.io mmdebstrap
          libc6-dev openssl jq zsh fish)
# The testbed fetches Claude Code with npm. Debian's npm only where none is on PATH: it would
# pull in Debian's nodejs over a Node.js the machine already has.
command -v npm >/dev/null || PACKAGES+=(npm)

say() { printf 'setup-engines: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 2; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Quirks 1 and 2: no CAP_SYS_RESOURCE (podman's default rlimits fail) and a cgroup v1/v2 hybrid
# that crun refuses. The rootless user also needs cgroupfs and file events: it has no systemd
# login session to talk to.
write_containers_conf() { # path owner extra-engine-lines
  local path=$1 owner=$2 extra=$3
  mkdir -p "$(dirname "$path")"
  cat >"$path" <<CONF
# Written by bot-bottle's contrib/ci/setup-engines.sh for this VM's quirks.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
$extra
CONF
  chown -R "$owner" "$(dirname "$path")"
}
if ! grep -qs 'bot-bottle' /etc/containers/containers.conf; then
  if [ -s /etc/containers/containers.conf ]; then
    cp /etc/containers/containers.conf /etc/containers/containers.conf.before-bot-bottle
  fi
  write_containers_conf /etc/containers/containers.conf root:root ''
fi

# Quirk 3: slirp4netns needs /dev/net/tun for a non-root user.
chmod 666 /dev/net/tun

if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
  say "creating rootless user $ROOTLESS_USER"
  useradd -m -s /bin/bash "$ROOTLESS_USER"
fi
home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
grep -q "^$ROOTLESS_USER:" /etc/subuid || usermod --add-subuids 200000-265535 "$ROOTLESS_USER"
grep -q "^$ROOTLESS_USER:" /etc/subgid || usermod --add-subgids 200000-265535 "$ROOTLESS_USER"
write_containers_conf "$home/.config/containers/containers.conf" "$ROOTLESS_USER:$ROOTLESS_USER" \
  'cgroup_manager = "cgroupfs"
events_logger = "file"'

# Rootless podman falls back to the vfs driver here (fuse-overlayfs cannot open the root-only
# /dev/fuse), which copies the whole image for every container: about 6 s a create. This kernel
# supports overlay in a user namespace natively, so ask for it. Storage made by another driver
# cannot be read by this one: the test user's storage is reset once (it only holds test images,
# which contrib/testbed/build-images.sh imports again).
storage_conf="$home/.config/containers/storage.conf"
if ! grep -qs 'bot-bottle' "$storage_conf"; then
  cat >"$storage_conf" <<'CONF'
# Written by bot-bottle's contrib/ci/setup-engines.sh: native rootless overlay.
[storage]
driver = "overlay"
CONF
  chown "$ROOTLESS_USER:$ROOTLESS_USER" "$storage_conf"
fi
if ! runuser -u "$ROOTLESS_USER" -- sh -c 'cd ~ && podman info --format "{{.Store.GraphDriverName}}"' 2>/dev/null | grep -qx overlay; then
  say "resetting $ROOTLESS_USER's podman storage for the overlay driver"
  runuser -u "$ROOTLESS_USER" -- sh -c 'cd ~ && podman system reset --force' >/dev/null 2>&1 || true
fi

# Debian's client, not the bare one some images put first on PATH in /usr/local/bin.
DOCKER=/usr/bin/docker
if ! "$DOCKER" info >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  setsid nohup dockerd --default-ulimit nofile=1024:1024 >"$DOCKERD_LOG" 2>&1 </dev/null &
  deadline=$((SECONDS + 60))
  until "$DOCKER" info >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd did not answer within 60 s; its log:"; tail -n 30 "$DOCKERD_LOG" >&2; exit 1
    fi
    sleep 0.5
  done
fi

# dockerd loads br_netfilter and sets the FORWARD policy to DROP, so frames bridged between two
# containers on one rootful podman network go through iptables; netavark accepts forwarding only
# for networks with a route out, so on an --internal network (a bottle's agent and its sidecar)
# every packet is dropped. DOCKER-USER runs first in FORWARD: accept traffic that stays on podman
# bridges. Rootless podman's bridges live in the user's own network namespace and are unaffected.
iptables -C DOCKER-USER -i 'podman+' -o 'podman+' -j ACCEPT 2>/dev/null ||
  iptables -I DOCKER-USER -i 'podman+' -o 'podman+' -j ACCEPT

# Prove each setup can run a container at all, so a broken engine fails here with its own error.
podman info --format '{{.Host.Security.Rootless}}' >/dev/null
runuser -u "$ROOTLESS_USER" -- sh -c 'cd ~ && podman info --format "{{.Host.Security.Rootless}}"' | grep -qx true
"$DOCKER" version --format '{{.Server.Version}}' >/dev/null
say "ok: docker $("$DOCKER" version --format '{{.Server.Version}}'), podman $(podman version --format '{{.Client.Version}}') rootful and rootless ($ROOTLESS_USER)"
