# Sourced by the testbed scripts: the three engine setups the tests run on, by name.
# shellcheck shell=bash

ROOTLESS_USER=${BOT_BOTTLE_ROOTLESS_USER:-bbrootless}
# Debian's client, not the bare one some images put first on PATH in /usr/local/bin.
DOCKER=/usr/bin/docker

# engine SETUP ARGS...: runs the engine CLI of one setup (docker, podman, podman-rootless).
# The rootless user cannot read root's cwd, hence `cd ~`.
engine() {
  local setup=$1; shift
  case $setup in
    docker) "$DOCKER" "$@" ;;
    podman) podman "$@" ;;
    podman-rootless) runuser -u "$ROOTLESS_USER" -- sh -c 'cd ~ && exec podman "$@"' podman "$@" ;;
    *) printf 'unknown engine setup: %s\n' "$setup" >&2; return 2 ;;
  esac
}
