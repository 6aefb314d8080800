#!/usr/bin/env bash
# The project's whole test suite: unit tests, CLI tests and the pipelock double's tests, the
# release step, then every end-to-end test binary once per engine setup: docker, rootful podman,
# rootless podman.
# Sets up the engines and the offline test images first (both idempotent and cached).
# Run as root on a Debian 12 machine: sudo contrib/ci/test-all.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
ROOTLESS_USER=${BOT_BOTTLE_ROOTLESS_USER:-bbrootless}
# End-to-end tests fail, rather than skip, when their engine cannot be reached; so do the
# completion tests when zsh or fish is missing.
export BOT_BOTTLE_E2E=required BOT_BOTTLE_SHELLS=required
# The end-to-end tests run the pipelock double unless told to use a real pipelock image.
export BOT_BOTTLE_PIPELOCK_IMAGE=${BOT_BOTTLE_PIPELOCK_IMAGE:-localhost/bot-bottle-test/pipelock:2.3.0}

say() { printf '\n=== %s\n' "$*" >&2; }

say "engines"
contrib/ci/setup-engines.sh
say "test images"
contrib/testbed/build-images.sh

say "import graph: no circle between modules or between the files of a folder"
contrib/ci/import-cycles.py

say "format and lints: cargo fmt --check; clippy with the workspace's lints, warnings as errors"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

say "build"
cargo build --workspace --all-targets --locked
# Test binaries named *e2e* are the end-to-end suites; everything else is engine-free.
mapfile -t e2e_bins < <(cargo test --workspace --no-run --locked --message-format=json 2>/dev/null |
  jq -r 'select(.reason == "compiler-artifact" and .profile.test == true and (.target.kind | index("test")) and (.target.name | test("e2e"))) | .executable')
bot_bottle_bin="$repo/target/debug/bot-bottle"
[ "${#e2e_bins[@]}" -gt 0 ] || { echo "no end-to-end test binaries found" >&2; exit 1; }

say "unit, CLI and double tests; end-to-end on rootful podman"
BOT_BOTTLE_ENGINE=podman cargo test --workspace --locked

say "release step"
dist=$(mktemp -d /var/tmp/bot-bottle-dist.XXXXXX)
(trap 'rm -rf "$dist"' EXIT; contrib/release/dist.sh "$dist")

say "end-to-end on docker"
for bin in "${e2e_bins[@]}"; do
  (cd "$(dirname "$bin")" && BOT_BOTTLE_ENGINE=/usr/bin/docker BOT_BOTTLE_BIN="$bot_bottle_bin" "$bin")
done

say "end-to-end on rootless podman (user $ROOTLESS_USER)"
as_rootless() { runuser -u "$ROOTLESS_USER" -- env -C "$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)" "$@"; }
# Podman 4.3 tears the rootless network namespace down with its last container but leaves
# aardvark-dns running in the old one, so name resolution on every later network fails
# (see "Known host issues" in the README). Drop a stale aardvark-dns, then keep the namespace
# alive for the whole run with one idle container on a network of its own.
keeper=bot-bottle-ci-netns-keeper
as_rootless podman rm --force --time 0 "$keeper" >/dev/null 2>&1 || true
as_rootless podman network rm "$keeper" >/dev/null 2>&1 || true
if [ -z "$(as_rootless podman ps --quiet)" ]; then
  pkill -u "$ROOTLESS_USER" -x aardvark-dns || true
fi
# The rootless user may not be able to read this checkout or target dir: run copies.
stage=$(mktemp -d /var/tmp/bot-bottle-rootless-tests.XXXXXX)
# A rootless test cannot read host firewall counters, so they are kept here: anything that
# would leave the host through an uplink carrying a DNS query with a test marker ("bbleak…"),
# or anything sent to the tests' "public" documentation ranges, is counted and dropped.
leak_rules=()
for tool in iptables ip6tables; do
  family=-4 net=198.51.100.0/24
  [ "$tool" = ip6tables ] && family=-6 net=2001:db8::/32
  for dev in $(ip "$family" route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u); do
    for chain in OUTPUT FORWARD; do
      for proto in udp tcp; do
        leak_rules+=("$tool $chain -o $dev -p $proto --dport 53 -m string --algo bm --string bbleak")
      done
      leak_rules+=("$tool $chain -o $dev -d $net")
    done
  done
done
leak_comment=bot-bottle-ci-rootless-leak-watch
for rule in "${leak_rules[@]}"; do
  read -r -a words <<<"$rule"
  "${words[0]}" -w -I "${words[@]:1}" -m comment --comment "$leak_comment" -j DROP
done
remove_leak_rules() {
  for rule in "${leak_rules[@]}"; do
    read -r -a words <<<"$rule"
    "${words[0]}" -w -D "${words[@]:1}" -m comment --comment "$leak_comment" -j DROP 2>/dev/null || true
  done
}
cleanup() {
  as_rootless podman rm --force --time 0 "$keeper" >/dev/null 2>&1 || true
  as_rootless podman network rm "$keeper" >/dev/null 2>&1 || true
  remove_leak_rules
  rm -rf "$stage"
}
trap cleanup EXIT
as_rootless podman network create "$keeper" >/dev/null
as_rootless podman run --detach --name "$keeper" --network "$keeper" \
  localhost/bot-bottle-test/agent:latest sleep infinity >/dev/null
chmod 755 "$stage"
install -m 755 "$bot_bottle_bin" "$stage/bot-bottle"
# The static bot-bottle-gate the testbed built (or was given): the rootless user has no cargo
# and may not read this checkout, so its gate image build test takes this one (--binary).
gate_bin=${BOT_BOTTLE_GATE_BIN:-$(cargo metadata --format-version 1 --no-deps --locked |
  jq -r .target_directory)/x86_64-unknown-linux-gnu/release/bot-bottle-gate}
install -m 755 "$gate_bin" "$stage/bot-bottle-gate"
for bin in "${e2e_bins[@]}"; do
  install -m 755 "$bin" "$stage/$(basename "$bin")"
  as_rootless \
    BOT_BOTTLE_E2E=required BOT_BOTTLE_ENGINE=podman BOT_BOTTLE_BIN="$stage/bot-bottle" \
    BOT_BOTTLE_GATE_BIN="$stage/bot-bottle-gate" \
    BOT_BOTTLE_E2E_LEAK_WATCH=outside \
    BOT_BOTTLE_PIPELOCK_IMAGE="$BOT_BOTTLE_PIPELOCK_IMAGE" PATH=/usr/local/bin:/usr/bin:/bin \
    "$stage/$(basename "$bin")"
done
leaked=$(for t in iptables ip6tables; do for c in OUTPUT FORWARD; do "$t" -w -L "$c" -v -x -n; done; done |
  grep -F "/* $leak_comment */" | awk '$1 > 0')
if [ -n "$leaked" ]; then
  say "rootless bottles sent packets that would have left the host:"
  printf '%s\n' "$leaked" >&2
  exit 1
fi
say "all tests passed on docker, rootful podman and rootless podman"
