#!/usr/bin/env bash
# Smoke test of the testbed images (built by build-images.sh) on each engine setup: the topology
# a bottle uses (an --internal network plus a bridge "egress" network), dotted network aliases
# resolved by the engine's DNS, the upstream's TLS certificate, and the pipelock image's shape.
# Everything it creates carries the label io.bot-bottle.test=<run id> and is removed on exit,
# pass or fail; the last check is that nothing so labelled remains. Run as root.
set -euo pipefail

ENGINES=${BOT_BOTTLE_TEST_ENGINES:-docker podman podman-rootless}
# shellcheck source=engines.sh
. "$(dirname "$0")/engines.sh"
AGENT_REF=localhost/bot-bottle-test/agent:latest
PIPELOCK_REF=localhost/bot-bottle-test/pipelock:2.3.0
UPSTREAM_REF=localhost/bot-bottle-test/upstream:latest
# How long the upstream may take to answer after its container started.
READY_SECONDS=20

RUN_ID=smoke-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
LABEL=io.bot-bottle.test=$RUN_ID

say() { printf 'smoke: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 2; }


# Removes what this run created on one setup; every step runs even when an earlier one fails.
cleanup() { # setup
  local setup=$1 ids
  ids=$(engine "$setup" ps -aq --filter "label=$LABEL" 2>/dev/null || true)
  # shellcheck disable=SC2086 # one id a word
  [ -z "$ids" ] || engine "$setup" rm -f $ids >/dev/null 2>&1 || true
  ids=$(engine "$setup" network ls -q --filter "label=$LABEL" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$ids" ] || engine "$setup" network rm $ids >/dev/null 2>&1 || true
}

# Rootful podman shares the host's FORWARD chain with docker. docker loads br_netfilter (so
# frames between two containers on one bridge pass through iptables) and sets the FORWARD
# policy to DROP; netavark adds ACCEPT rules only for networks that are not --internal. The
# result: containers on a rootful podman --internal network cannot reach each other.
forward_hint() { # setup
  [ "$1" = podman ] || return 0
  [ "$(sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null)" = 1 ] || return 0
  iptables -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP' || return 0
  iptables -S DOCKER-USER 2>/dev/null | grep -q -- '-i podman+ -o podman+ -j ACCEPT' && return 0
  say "hint: bridge-nf-call-iptables=1 and FORWARD policy DROP (docker's) drop traffic inside"
  say "hint: podman --internal networks; contrib/ci/setup-engines.sh adds the DOCKER-USER rule"
  say "hint: that accepts it (iptables rules do not survive a reboot): re-run it"
}

# A podman network whose containers outlived its record (a leaked container) keeps its bridge
# and its aardvark-dns entries, and podman hands its subnet to the next network it creates: in
# the shared rootless network namespace the two then collide and names stop resolving.
stale_network_hint() { # setup
  case $1 in podman|podman-rootless) ;; *) return 0 ;; esac
  local runroot dir known f name
  runroot=$(engine "$1" info --format '{{.Store.RunRoot}}' 2>/dev/null) || return 0
  for dir in "$runroot/networks/aardvark-dns" "$(dirname "$runroot")/networks/aardvark-dns"; do
    [ -d "$dir" ] && break
  done
  [ -d "$dir" ] || return 0
  known=$(engine "$1" network ls --format '{{.Name}}' 2>/dev/null) || return 0
  for f in "$dir"/*; do
    name=$(basename "$f")
    if [ "$name" = aardvark.pid ] || [ ! -f "$f" ]; then continue; fi
    grep -qxF "$name" <<<"$known" && continue
    say "hint: $1: aardvark-dns still serves network '$name' ($(head -n1 "$f")), which podman no"
    say "hint: longer knows: a leaked container holds its subnet; new networks may collide with it."
    say "hint: its containers: $(tail -n +2 "$f" | awk '{print $1}' | cut -c1-12 | tr '\n' ' ')"
  done
}

leftovers() { # setup: prints anything labelled with this run that still exists
  engine "$1" ps -aq --filter "label=$LABEL"
  engine "$1" network ls -q --filter "label=$LABEL"
}

# Runs in the agent container on the bridge network. Waits for the upstream by polling with a
# deadline, then checks the aliases, both ports, the routes and the trust store.
# shellcheck disable=SC2016 # expanded by the container's bash, not here
AGENT_ON_BRIDGE='
set -u
printf "%s\n" "$CA_PEM" >/tmp/testbed-ca.pem
mkdir -p /tmp/no-ca-dir
# The testbed CA only: --cacert alone would leave curl the system CA directory as well.
fetch() { curl -sS --max-time 3 --cacert /tmp/testbed-ca.pem --capath /tmp/no-ca-dir "$@"; }
deadline=$((SECONDS + READY_SECONDS))
until fetch -o /dev/null https://raw.githubusercontent.com/hello 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "upstream did not answer within $READY_SECONDS s:" >&2; fetch https://raw.githubusercontent.com/hello; exit 1
  fi
  sleep 0.2
done
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(fetch https://raw.githubusercontent.com/hello; echo .)" = "hello from upstream
." ] || fail "GET https://raw.githubusercontent.com/hello body"
# api.anthropic.com has a chain of its own, which the agent image trusts and the testbed CA
# did not issue.
curl -sS --max-time 3 -D - -o /dev/null https://api.anthropic.com/api/hello | tr -d "\r" \
  | grep -qix "x-upstream-host: api.anthropic.com" || fail "api.anthropic.com with the agent store"
fetch -o /dev/null https://api.anthropic.com/api/hello 2>/dev/null \
  && fail "the testbed CA verifies the Anthropic stand-in"
case $(claude --version) in *" (Claude Code)") ;; *) fail "claude --version" ;; esac
case $(codex --version) in "codex-cli "*) ;; *) fail "codex --version" ;; esac
case $(gemini --version) in [0-9]*) ;; *) fail "gemini --version" ;; esac
# The OpenAI and Gemini stand-ins have CAs of their own that only the key holder trusts.
for host in api.openai.com generativelanguage.googleapis.com; do
  curl -sS --max-time 3 -o /dev/null "https://$host/" 2>/dev/null
  rc=$?
  [ "$rc" = 60 ] || fail "agent store trusts the $host stand-in (curl exit $rc, want 60)"
done
[ "$(fetch http://upstream.bottle.test/hello)" = "hello from upstream" ] || fail "plain HTTP on 80"
[ "$(fetch -X POST --data-binary "{\"a\":1}" https://upstream.bottle.test/echo)" = "{\"a\":1}" ] \
  || fail "POST /echo"
[ "$(fetch -o /dev/null -w "%{http_code}" https://upstream.bottle.test/nope)" = 404 ] || fail "404"
# The agent image trusts only the system store, which must not hold the testbed CA.
curl -sS --max-time 3 -o /dev/null https://raw.githubusercontent.com/hello 2>/dev/null
rc=$?
[ "$rc" = 60 ] || fail "agent store trusts the upstream certificate (curl exit $rc, want 60)"
echo agent-on-bridge-ok
'

# Runs in the agent container on the internal network only: the gate (on both networks) must
# be reachable by its dotted alias, the upstream by neither name nor address.
# shellcheck disable=SC2016 # expanded by the container's bash, not here
AGENT_ON_INTERNAL='
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
deadline=$((SECONDS + READY_SECONDS))
until curl -sS --max-time 3 -o /dev/null http://gate.bottle.test/hello 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "gate did not answer within $READY_SECONDS s:" >&2; curl -sS --max-time 3 http://gate.bottle.test/hello; exit 1
  fi
  sleep 0.2
done
if curl -sS --max-time 3 -o /dev/null http://raw.githubusercontent.com/hello 2>/tmp/err; then
  fail "internal-only container reached the upstream by name"
fi
echo "by name: $(cat /tmp/err)"
if curl -sS --max-time 3 -o /dev/null "http://$UPSTREAM_IP/hello" 2>/tmp/err; then
  fail "internal-only container reached the upstream at $UPSTREAM_IP"
fi
echo "by address $UPSTREAM_IP: $(cat /tmp/err)"
echo agent-on-internal-ok
'

smoke_one() { # setup
  local setup=$1 suffix int br up gate ca out
  suffix=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  int=bbtest-int-$suffix br=bbtest-br-$suffix up=bbtest-up-$suffix gate=bbtest-gate-$suffix
  trap 'cleanup "$setup"' EXIT

  for ref in "$AGENT_REF" "$PIPELOCK_REF" "$UPSTREAM_REF"; do
    engine "$setup" image inspect "$ref" >/dev/null 2>&1 \
      || { say "$setup: $ref missing: run contrib/testbed/build-images.sh"; return 1; }
  done

  engine "$setup" network create --internal --label "$LABEL" "$int" >/dev/null
  engine "$setup" network create --label "$LABEL" "$br" >/dev/null
  engine "$setup" run -d --name "$up" --label "$LABEL" --network "$br" \
    --network-alias raw.githubusercontent.com --network-alias api.anthropic.com \
    --network-alias api.openai.com --network-alias generativelanguage.googleapis.com \
    --network-alias upstream.bottle.test "$UPSTREAM_REF" >/dev/null
  # The gate sits on both networks like a bottle's pipelock sidecar. docker 20.10 takes one
  # --network at create: attach the internal one before start.
  engine "$setup" create --name "$gate" --label "$LABEL" --network "$br" "$UPSTREAM_REF" >/dev/null
  engine "$setup" network connect --alias gate.bottle.test "$int" "$gate"
  engine "$setup" start "$gate" >/dev/null

  # The testbed CA, read from the pipelock image: the proxy's trust store is what must verify
  # the upstream.
  local holder=bbtest-pl-$suffix
  engine "$setup" create --name "$holder" --label "$LABEL" "$PIPELOCK_REF" >/dev/null
  ca=$(engine "$setup" cp "$holder:/etc/ssl/certs/ca-certificates.crt" - | tar -xO)
  engine "$setup" rm "$holder" >/dev/null
  grep -q 'BEGIN CERTIFICATE' <<<"$ca" || { say "$setup: no CA in the pipelock image"; return 1; }

  out=$(engine "$setup" run --rm --label "$LABEL" --network "$br" -e "CA_PEM=$ca" \
    -e "READY_SECONDS=$READY_SECONDS" "$AGENT_REF" bash -c "$AGENT_ON_BRIDGE")
  [ "${out##*$'\n'}" = agent-on-bridge-ok ] || { say "$setup: $out"; return 1; }
  say "$setup: ok: bridge: dotted aliases resolve, HTTPS+HTTP answer, agent trusts the Anthropic"
  say "$setup: ok: stand-in and not the testbed CA, claude, codex and gemini run"

  local ip
  ip=$(engine "$setup" inspect --format "{{ (index .NetworkSettings.Networks \"$br\").IPAddress }}" "$up")
  if ! out=$(engine "$setup" run --rm --label "$LABEL" --network "$int" -e "UPSTREAM_IP=$ip" \
    -e "READY_SECONDS=$READY_SECONDS" "$AGENT_REF" bash -c "$AGENT_ON_INTERNAL") \
    || [ "${out##*$'\n'}" != agent-on-internal-ok ]; then
    say "$setup: $out"
    forward_hint "$setup"
    return 1
  fi
  say "$setup: ok: internal: gate.bottle.test reachable; upstream unreachable ($(grep '^by' <<<"$out" | tr '\n' ';'))"

  out=$(engine "$setup" run --rm --label "$LABEL" "$PIPELOCK_REF" version)
  say "$setup: ok: pipelock version -> ${out:-<no output>}"
  case $out in
    *2.3.0*) ;;
    *) say "$setup: warning: 'pipelock version' does not mention 2.3.0 (is the double still a stub?)" ;;
  esac
  if engine "$setup" run --rm --label "$LABEL" --entrypoint /bin/sh "$PIPELOCK_REF" -c true \
    >/dev/null 2>&1; then
    say "$setup: the pipelock image has a shell"; return 1
  fi
  say "$setup: ok: pipelock image has no /bin/sh"

  local logs
  logs=$(engine "$setup" logs "$up" 2>&1)
  grep -q '"path":"/echo"' <<<"$logs" || { say "$setup: upstream logged no request: $logs"; return 1; }
  say "$setup: ok: upstream logs one JSON line per request ($(grep -c '"status"' <<<"$logs") lines)"
}

failed=()
for setup in $ENGINES; do
  started=$SECONDS
  set +e
  (set -e; smoke_one "$setup")
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    say "$setup: PASS ($((SECONDS - started)) s)"
  else
    stale_network_hint "$setup"
    say "$setup: FAIL ($((SECONDS - started)) s)"; failed+=("$setup")
  fi
  rest=$(leftovers "$setup")
  if [ -n "$rest" ]; then
    say "$setup: FAIL: left behind: $(tr '\n' ' ' <<<"$rest")"; failed+=("$setup")
    cleanup "$setup"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  say "failed on: ${failed[*]}"; exit 1
fi
say "all passed on: $ENGINES"
