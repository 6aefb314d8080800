#!/usr/bin/env bash
# Launch benchmark: for each engine setup, N cycles of `bot-bottle start -y --detach --json` on a
# small manifest (the offline test agent running `sleep infinity`, the pipelock double) followed
# by `bot-bottle stop NAME`, then a table of wall-clock seconds for up (start returns) and down
# (stop returns) and the peak memory during start. Measures the release binary. Prints figures;
# it asserts no speed or memory target. Everything it creates is removed on exit, pass or fail,
# and the last check is that no container or network labelled with its bottle names remains.
# Run as root on a Debian 12 machine set up by contrib/ci/setup-engines.sh with the images of
# contrib/testbed/build-images.sh: sudo contrib/bench/launch.sh
#
# Environment:
#   BOT_BOTTLE_BENCH_ENGINES   engine setups, default "docker podman podman-rootless"
#   BOT_BOTTLE_BENCH_CYCLES    start/stop cycles per setup, default 5
#   BOT_BOTTLE_BENCH_KEEPER    1 (default): keep the rootless network namespace alive with an
#                              idle container, as contrib/ci/test-all.sh does; 0: don't
#   BOT_BOTTLE_ROOTLESS_USER   default bbrootless
#   BOT_BOTTLE_PIPELOCK_IMAGE  default localhost/bot-bottle-test/pipelock:2.3.0 (the double)
set -euo pipefail

ENGINES=${BOT_BOTTLE_BENCH_ENGINES:-docker podman podman-rootless}
CYCLES=${BOT_BOTTLE_BENCH_CYCLES:-5}
KEEPER=${BOT_BOTTLE_BENCH_KEEPER:-1}
ROOTLESS_USER=${BOT_BOTTLE_ROOTLESS_USER:-bbrootless}
PIPELOCK_IMAGE=${BOT_BOTTLE_PIPELOCK_IMAGE:-localhost/bot-bottle-test/pipelock:2.3.0}
AGENT_IMAGE=localhost/bot-bottle-test/agent:latest
DOCKER=/usr/bin/docker
LABEL_KEY=io.bot-bottle.bottle
ROOTLESS_PATH=/usr/local/bin:/usr/bin:/bin
# A bottle that takes longer than this to come up or go down counts as a failure.
STEP_TIMEOUT=180

say() { printf 'bench: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root"; exit 2; }
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || { say "BOT_BOTTLE_BENCH_CYCLES must be a positive integer"; exit 2; }
for setup in $ENGINES; do
  case $setup in docker|podman|podman-rootless) ;; *) say "unknown engine setup: $setup"; exit 2 ;; esac
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
rootless_home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6 || true)
RUN_ID=$$-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
KEEPER_NAME=bot-bottle-bench-netns-keeper-$RUN_ID

as_rootless() { runuser -u "$ROOTLESS_USER" -- env -C "$rootless_home" PATH="$ROOTLESS_PATH" "$@"; }

engine() { # setup args...: the engine CLI of one setup
  local setup=$1; shift
  case $setup in
    docker) "$DOCKER" "$@" ;;
    podman) podman "$@" ;;
    podman-rootless) as_rootless podman "$@" ;;
  esac
}

# --- state for cleanup ---------------------------------------------------------------------
work=""           # temp dir: the binary copy and one manifest dir per cycle
created=()        # "setup name" of every bottle this run started (or tried to)
floors=()         # "setup name" of every floor run
keeper_up=0
inflight=""       # pid of the bot-bottle step running now (its wrapper: GNU time or runuser)

# Names labelled for `name` that still exist on `setup`, one "container X"/"network X" a line.
leftovers() { # setup name
  local setup=$1 label="$LABEL_KEY=$2"
  engine "$setup" ps -a --filter "label=$label" --format '{{.Names}}' 2>/dev/null | sed 's/^/container /'
  engine "$setup" network ls --filter "label=$label" --format '{{.Name}}' 2>/dev/null | sed 's/^/network /'
}

# Removes whatever a bottle left behind without going through bot-bottle (it may be the
# thing that failed). Containers first: a network with a container on it cannot be removed.
force_remove() { # setup name
  local setup=$1 label="$LABEL_KEY=$2" ids
  ids=$(engine "$setup" ps -aq --filter "label=$label" 2>/dev/null || true)
  # shellcheck disable=SC2086 # one id a word
  [ -z "$ids" ] || engine "$setup" rm -f $ids >/dev/null 2>&1 || true
  ids=$(engine "$setup" network ls -q --filter "label=$label" 2>/dev/null || true)
  # shellcheck disable=SC2086 # one id a word
  [ -z "$ids" ] || engine "$setup" network rm $ids >/dev/null 2>&1 || true
}

cleanup() {
  local rc=$? entry setup name left
  trap - EXIT INT TERM
  if [ -n "$inflight" ]; then
    # Interrupted mid-step: let bot-bottle tear down what it made (it handles SIGTERM) before
    # anything is removed behind its back.
    kill -TERM "$(find_bb "$inflight")" 2>/dev/null || kill -TERM "$inflight" 2>/dev/null || true
    wait "$inflight" 2>/dev/null || true
  fi
  for entry in "${created[@]}"; do
    read -r setup name <<<"$entry"
    if [ -n "$(leftovers "$setup" "$name")" ]; then
      say "cleanup: removing what bottle $name left on $setup"
      run_bb "$setup" stop --purge "$name" >/dev/null 2>&1 || true
      force_remove "$setup" "$name"
      left=$(leftovers "$setup" "$name")
      if [ -n "$left" ]; then
        say "cleanup: still present on $setup: $(tr '\n' ' ' <<<"$left")"
        rc=1
      fi
    fi
  done
  for entry in "${floors[@]}"; do
    read -r setup name <<<"$entry"
    if [ -n "$(floor_leftovers "$setup" "$name")" ]; then
      floor_down "$setup" "$name" >/dev/null 2>&1 || true
      force_remove "$setup" "$name"
      engine "$setup" network rm "$name-int" "$name-egr" >/dev/null 2>&1 || true
    fi
  done
  if [ "$keeper_up" = 1 ]; then
    engine podman-rootless rm --force --time 0 "$KEEPER_NAME" >/dev/null 2>&1 || true
    engine podman-rootless network rm "$KEEPER_NAME" >/dev/null 2>&1 || true
  fi
  [ -z "$work" ] || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- preparation ---------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

say "building the release binary"
cargo build --release -p bot-bottle --locked

work=$(mktemp -d /var/tmp/bot-bottle-bench.XXXXXX)
# The rootless user runs the binary and reads its manifest from here.
chmod 755 "$work"
install -m 755 "$repo/target/release/bot-bottle" "$work/bot-bottle"
BIN=$work/bot-bottle
mkfifo -m 600 "$work/tick"
exec {tick_fd}<>"$work/tick" # read -t on it is a sleep that forks nothing

for setup in $ENGINES; do
  if [ "$setup" = podman-rootless ] && [ -z "$rootless_home" ]; then
    say "user $ROOTLESS_USER does not exist; run contrib/ci/setup-engines.sh"; exit 1
  fi
  engine "$setup" info >/dev/null 2>&1 || { say "$setup is not answering; run contrib/ci/setup-engines.sh"; exit 1; }
  for image in "$AGENT_IMAGE" "$PIPELOCK_IMAGE"; do
    engine "$setup" image inspect "$image" >/dev/null 2>&1 ||
      { say "$setup has no image $image; run contrib/testbed/build-images.sh"; exit 1; }
  done
done

# bot-bottle on one setup: `run_bb SETUP ARGS...`, cwd = $cwd when set. Wrapped in GNU time,
# whose %M is written to $work/time.out.
run_bb() { # setup args...
  local setup=$1; shift
  local timed=(/usr/bin/time -f %M -o "$work/time.out" "$BIN" "$@")
  case $setup in
    docker) env -C "${cwd:-$work}" BOT_BOTTLE_ENGINE="$DOCKER" BOT_BOTTLE_PIPELOCK_IMAGE="$PIPELOCK_IMAGE" \
      BOT_BOTTLE_STATE_DIR="$work/state-$setup" "${timed[@]}" ;;
    podman) env -C "${cwd:-$work}" BOT_BOTTLE_ENGINE=podman BOT_BOTTLE_PIPELOCK_IMAGE="$PIPELOCK_IMAGE" \
      BOT_BOTTLE_STATE_DIR="$work/state-$setup" "${timed[@]}" ;;
    podman-rootless)
      # GNU time runs as the rootless user too, so it needs a file that user may write.
      touch "$work/time.out"; chown "$ROOTLESS_USER" "$work/time.out"
      as_rootless BOT_BOTTLE_ENGINE=podman BOT_BOTTLE_PIPELOCK_IMAGE="$PIPELOCK_IMAGE" \
        BOT_BOTTLE_STATE_DIR="$work/state-$setup" "${timed[@]}" ;;
  esac </dev/null
}

# The pid of the first process called bot-bottle below `pid` (GNU time and, for rootless,
# runuser and env sit between), or nothing.
find_bb() { # pid
  local kids=() kid comm
  # The file has no trailing newline, so read reports end of file even when it read the list.
  read -r -a kids <"/proc/$1/task/$1/children" 2>/dev/null || true
  for kid in "${kids[@]}"; do
    read -r comm <"/proc/$kid/comm" 2>/dev/null || continue
    if [ "$comm" = bot-bottle ]; then echo "$kid"; return 0; fi
    find_bb "$kid"
  done
}

# Prints the last VmHWM (kB) read from bot-bottle's own /proc status below `pid`, polling every
# 10 ms until it is gone. GNU time's %M cannot give this: it reports the largest process of the
# whole tree bot-bottle waited for, and that is the engine CLI it runs, not bot-bottle.
sample_hwm() { # pid
  local root=$1 bb="" hwm="" key value seen
  while [ -z "$bb" ] && [ -d "/proc/$root" ]; do
    bb=$(find_bb "$root")
    [ -n "$bb" ] || read -r -t 0.01 -u "$tick_fd" || true
  done
  while [ -n "$bb" ]; do
    seen=0
    # A zombie's status has no VmHWM line: the process is gone.
    while read -r key value _; do
      if [ "$key" = VmHWM: ]; then hwm=$value; seen=1; break; fi
    done 2>/dev/null <"/proc/$bb/status" || true
    [ "$seen" = 1 ] || break
    read -r -t 0.01 -u "$tick_fd" || true
  done
  echo "${hwm:-na}"
}

# Runs one bot-bottle step in the background and waits for it with a deadline; sets `elapsed`
# (seconds), `tree_kb` (GNU time %M) and, when asked, `own_kb` (bot-bottle's VmHWM).
timed_step() { # setup out err sample(0|1) args...
  local setup=$1 out=$2 err=$3 sample=$4; shift 4
  local t0 t1 pid spid="" rc=0 deadline
  : >"$work/time.out"
  t0=$EPOCHREALTIME
  run_bb "$setup" "$@" >"$out" 2>"$err" &
  pid=$!
  inflight=$pid
  if [ "$sample" = 1 ]; then
    sample_hwm "$pid" >"$work/hwm.out" &
    spid=$!
  fi
  # `wait` returns as soon as the step exits; the watchdog only fires on a hang.
  deadline=$STEP_TIMEOUT
  (
    read -r -t "$deadline" -u "$tick_fd" || true
    say "step still running after ${deadline}s: stopping it"
    kill -TERM "$(find_bb "$pid")" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  ) &
  local watchdog=$!
  wait "$pid" || rc=$?
  t1=$EPOCHREALTIME
  inflight=""
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  [ -z "$spid" ] || wait "$spid" || true
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  tree_kb=$(tail -n 1 "$work/time.out" 2>/dev/null || true)
  [[ $tree_kb =~ ^[0-9]+$ ]] || tree_kb=na
  own_kb=$( [ -z "$spid" ] || cat "$work/hwm.out")
  return "$rc"
}

# median, min and max of numbers (one a line): "MEDIAN MIN MAX"
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "na na na"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}

# median of numbers (one a line), in milliseconds
stats4() {
  sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f\n", m * 1000 }'
}

# runuser's own cost, which the rootless figures include.
runuser_overhead() {
  local i t0 t1
  for i in 1 2 3 4 5; do
    t0=$EPOCHREALTIME
    as_rootless true
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
  done | stats | awk '{ print $1 }'
}

# --- the floor: the same engine work with bare CLI calls, serially ----------------------------
# Two networks (the first internal), the sidecar created on one and connected to the other,
# the agent created, one tar copied into each, both started, one `exec -u 0` in the agent.
floor_up() { # setup name
  local setup=$1 n=$2
  engine "$setup" network create --internal "$n-int" >/dev/null &&
    engine "$setup" network create "$n-egr" >/dev/null &&
    engine "$setup" create --name "$n-side" --label "$LABEL_KEY=$n" --network "$n-int" "$PIPELOCK_IMAGE" >/dev/null &&
    engine "$setup" network connect "$n-egr" "$n-side" &&
    floor_cp "$setup" "$n-side" &&
    engine "$setup" create --name "$n-agent" --label "$LABEL_KEY=$n" --network "$n-int" "$AGENT_IMAGE" sleep infinity >/dev/null &&
    floor_cp "$setup" "$n-agent" &&
    engine "$setup" start "$n-side" >/dev/null &&
    engine "$setup" start "$n-agent" >/dev/null &&
    engine "$setup" exec -u 0 "$n-agent" true
}
# podman's `cp -` copies its stdin to a file in $TMPDIR and leaves it there (see "Known host
# issues" in the top-level README), as bot-bottle's copies would without their scratch
# directory: the floor's copies spool into the run's temp dir, which goes at exit.
floor_cp() { # setup container
  local setup=$1 spool=$work/spool-$1
  case $setup in
    docker) "$DOCKER" cp - "$2:/" <"$work/floor.tar" ;;
    podman) TMPDIR=$spool podman cp - "$2:/" <"$work/floor.tar" ;;
    podman-rootless) as_rootless TMPDIR="$spool" podman cp - "$2:/" <"$work/floor.tar" ;;
  esac
}
floor_down() { # setup name
  local setup=$1 n=$2 rm_flags=(-f)
  [ "$setup" = docker ] || rm_flags=(-f --time 0)
  engine "$setup" rm "${rm_flags[@]}" "$n-agent" >/dev/null &&
    engine "$setup" rm "${rm_flags[@]}" "$n-side" >/dev/null &&
    engine "$setup" network rm "$n-int" >/dev/null &&
    engine "$setup" network rm "$n-egr" >/dev/null
}
# Runs a floor step, setting `elapsed`; a failure stops the benchmark.
floor_step() { # up|down setup name
  local t0 t1
  t0=$EPOCHREALTIME
  "floor_$1" "$2" "$3" || { say "$2: floor $1 of $3 failed"; exit 1; }
  t1=$EPOCHREALTIME
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}
# The floor's networks carry no label (nothing else in the floor is special either): they are
# named after the bottle, so cleanup finds them by name.
floor_leftovers() { # setup name
  local setup=$1 n=$2 c
  for c in "$n-agent" "$n-side"; do
    engine "$setup" container inspect "$c" >/dev/null 2>&1 && echo "container $c"
  done
  for c in "$n-int" "$n-egr"; do
    engine "$setup" network inspect "$c" >/dev/null 2>&1 && echo "network $c"
  done
  true
}

# "STEP MEDIAN, …" for the "STEP<tab>SECONDS" lines of a file, steps in first-seen order.
step_medians() { # file
  local file=$1 name sep=""
  while IFS= read -r name; do
    printf '%s%s %s' "$sep" "$name" \
      "$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$file" | stats | awk '{ print $1 }')"
    sep=", "
  done < <(awk -F'\t' '$1 != "engine calls" && !seen[$1]++ { print $1 }' "$file")
}

# Median seconds of `start --dry-run --json` over 10 runs.
dry_run_latency() { # setup dir
  local setup=$1 dir=$2 i t0 t1
  for i in 1 2 3 4 5 6 7 8 9 10; do
    t0=$EPOCHREALTIME
    cwd=$dir run_bb "$setup" start --dry-run --json "$dir/bottle.toml" >/dev/null 2>&1 ||
      { say "$setup: dry-run failed"; exit 1; }
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
  done | stats4
}

# The BOT_BOTTLE_TIMINGS lines of one start's stderr as "STEP SECONDS" lines, and "engine-calls N".
step_times() { # stderr-file
  sed -n 's/^bot-bottle: timing: +[0-9.]* s \([0-9.]*\) s \(.*\)$/\2\t\1/p' "$1"
  sed -n 's/^bot-bottle: timing: total .*engine calls \([0-9]*\)$/engine calls\t\1/p' "$1"
}

# --- the benchmark -------------------------------------------------------------------------
results=() floor_rows=() step_rows=() floors=()
# One small file, copied into each floor container as its tar stream.
mkdir -p "$work/floor-src/etc"
echo floor >"$work/floor-src/etc/bot-bottle-floor"
tar -C "$work/floor-src" -cf "$work/floor.tar" etc
chmod 644 "$work/floor.tar"
for setup in $ENGINES; do
  # The spool, and the manifest approvals (each cycle's manifest is approved, untimed, before
  # its start), kept out of the users' own state directories.
  mkdir -m 700 "$work/spool-$setup" "$work/state-$setup"
  [ "$setup" != podman-rootless ] || chown "$ROOTLESS_USER" "$work/spool-$setup" "$work/state-$setup"
done
for setup in $ENGINES; do
  tag=${setup/podman-rootless/rootless}
  if [ "$setup" = podman-rootless ] && [ "$KEEPER" = 1 ]; then
    # Podman 4.3 tears the rootless network namespace down with its last container (and
    # leaves aardvark-dns behind in the old one): keep it alive with one idle container of
    # ours, as the CI does, so every cycle measures the same steady state.
    keeper_up=1
    engine podman-rootless network create "$KEEPER_NAME" >/dev/null
    engine podman-rootless run --detach --name "$KEEPER_NAME" --network "$KEEPER_NAME" \
      "$AGENT_IMAGE" sleep infinity >/dev/null
  fi
  ups=() downs=() trees=() owns=() fups=() fdowns=()
  : >"$work/steps-$setup"
  for ((i = 1; i <= CYCLES; i++)); do
    name=bench-$tag-$RUN_ID-$i
    dir=$work/$name
    mkdir -m 755 "$dir"
    cat >"$dir/bottle.toml" <<EOF
name = "$name"

[agent]
image = "$AGENT_IMAGE"
command = ["sleep", "infinity"]
workspace = "."
EOF
    # Rootless podman on cgroup v1 cannot apply resource limits: a bottle there goes without
    # them only when its manifest says so (see "[resources]" in the top-level README).
    if [ "$setup" = podman-rootless ] && [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
      printf '\n[resources]\nlimits = "none"\n' >>"$dir/bottle.toml"
    fi
    [ "$setup" != podman-rootless ] || chown -R "$ROOTLESS_USER" "$dir"
    created+=("$setup $name")
    floors+=("$setup floor-$name")
    # Interleaved: odd cycles run the floor first, even ones bot-bottle first.
    if ((i % 2)); then
      floor_step up "$setup" "floor-$name"; fup=$elapsed
      floor_step down "$setup" "floor-$name"; fdown=$elapsed
    fi
    cwd=$dir run_bb "$setup" approve "$dir/bottle.toml" >"$dir/approve.out" 2>&1 ||
      { say "$setup: approve of $name failed:"; cat "$dir/approve.out" >&2; exit 1; }
    if ! cwd=$dir BOT_BOTTLE_TIMINGS=1 timed_step "$setup" "$dir/start.json" "$dir/start.err" 1 \
        start -y --detach --json "$dir/bottle.toml"; then
      say "$setup: start of $name failed after ${elapsed}s:"; cat "$dir/start.err" >&2; exit 1
    fi
    jq -e --arg n "$name" '.bottle == $n and .detached == true' "$dir/start.json" >/dev/null ||
      { say "$setup: start of $name printed an unexpected report:"; cat "$dir/start.json" >&2; exit 1; }
    up=$elapsed tree=$tree_kb own=$own_kb
    if ! cwd=$dir timed_step "$setup" "$dir/stop.out" "$dir/stop.err" 0 stop "$name"; then
      say "$setup: stop of $name failed after ${elapsed}s:"; cat "$dir/stop.err" >&2; exit 1
    fi
    left=$(leftovers "$setup" "$name")
    [ -z "$left" ] || { say "$setup: stop of $name left: $(tr '\n' ' ' <<<"$left")"; exit 1; }
    down=$elapsed
    # `stop` keeps the bottle name's Claude Code state volume; it goes here, untimed.
    cwd=$dir run_bb "$setup" stop --purge "$name" >/dev/null 2>&1 ||
      { say "$setup: stop --purge of $name failed"; exit 1; }
    if ! ((i % 2)); then
      floor_step up "$setup" "floor-$name"; fup=$elapsed
      floor_step down "$setup" "floor-$name"; fdown=$elapsed
    fi
    step_times "$dir/start.err" >>"$work/steps-$setup"
    say "$setup cycle $i/$CYCLES: up ${up}s down ${down}s (floor up ${fup}s down ${fdown}s) peak RSS tree ${tree} kB, bot-bottle ${own} kB"
    ups+=("$up") downs+=("$down") trees+=("$tree") owns+=("$own") fups+=("$fup") fdowns+=("$fdown")
  done
  dry=$(dry_run_latency "$setup" "$dir")
  if [ "$keeper_up" = 1 ]; then
    engine podman-rootless rm --force --time 0 "$KEEPER_NAME" >/dev/null 2>&1 || true
    engine podman-rootless network rm "$KEEPER_NAME" >/dev/null 2>&1 || true
    keeper_up=0
  fi
  read -r up_med up_min up_max < <(printf '%s\n' "${ups[@]}" | stats)
  read -r down_med down_min down_max < <(printf '%s\n' "${downs[@]}" | stats)
  tree_max=$(printf '%s\n' "${trees[@]}" | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
  own_max=$(printf '%s\n' "${owns[@]}" | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
  read -r fup_med _ _ < <(printf '%s\n' "${fups[@]}" | stats)
  read -r fdown_med _ _ < <(printf '%s\n' "${fdowns[@]}" | stats)
  results+=("$(printf '%-16s %8s %13s %10s %13s %16s %15s' "$setup" "$up_med" "$up_min-$up_max" \
    "$down_med" "$down_min-$down_max" "$(awk -v k="${tree_max:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(awk -v k="${own_max:-0}" 'BEGIN { printf "%.1f", k / 1024 }')")")
  # Medians of the floor's own up and down, bot-bottle over floor, the dry run, engine calls.
  floor_rows+=("$(printf '%-16s %9s %11s %9s %11s %9s %10s %12s' "$setup" "$fup_med" \
    "$(awk -v a="$up_med" -v b="$fup_med" 'BEGIN { printf "%.2fx", a / b }')" "$fdown_med" \
    "$(awk -v a="$down_med" -v b="$fdown_med" 'BEGIN { printf "%.2fx", a / b }')" "$dry" \
    "$(awk -F'\t' '$1 == "engine calls" { print $2 }' "$work/steps-$setup" | stats | awk '{ print $1 }')" \
    "$CYCLES")")
  step_rows+=("$setup: $(step_medians "$work/steps-$setup")")
done

# --- the check that nothing remains ------------------------------------------------------------
remaining=""
for entry in "${created[@]}"; do
  read -r setup name <<<"$entry"
  left=$(leftovers "$setup" "$name")
  [ -z "$left" ] || remaining+="$setup: $(tr '\n' ' ' <<<"$left")"$'\n'
done
if [ -n "$remaining" ]; then
  say "left behind after stop:"; printf '%s' "$remaining" >&2; exit 1
fi

# --- the report ----------------------------------------------------------------------------------
versions=""
for setup in $ENGINES; do
  case $setup in
    docker) versions+="docker $("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null || echo '?'); " ;;
    podman) versions+="podman $(podman version --format '{{.Version}}' 2>/dev/null || echo '?'); " ;;
  esac
done
printf '\nbot-bottle launch benchmark, %s, %s cycles per engine, %s cores, load %s\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$CYCLES" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'binary: target/release/bot-bottle (%s); %s\n' "$(git -C "$repo" rev-parse --short HEAD)" "${versions%; }"
printf 'agent %s, proxy %s, command sleep infinity\n\n' "$AGENT_IMAGE" "$PIPELOCK_IMAGE"
printf '%-16s %8s %13s %10s %13s %16s %15s\n' engine "up med s" "up min-max" "down med s" \
  "down min-max" "peak RSS tree MB" "bot-bottle MB"
printf '%s\n' "${results[@]}"
printf '\n%s\n' "peak RSS tree = GNU time %M of start: the largest process bot-bottle waited for,"
printf '%s\n' "  which is the engine CLI it runs; bot-bottle = its own VmHWM, sampled every 10 ms."
if [[ " $ENGINES " == *" podman-rootless "* ]]; then
  printf 'rootless figures include runuser (median %ss a call)' "$(runuser_overhead)"
  [ "$KEEPER" = 1 ] && printf '; the rootless network namespace was kept alive by an idle container'
  printf '\n'
fi
printf '\nthe floor, measured in the same run, interleaved with bot-bottle (bare CLI calls, serially:\n'
printf '2 networks, 2 containers created, a network connect, one tar cp each, 2 starts, one exec -u 0):\n\n'
printf '%-16s %9s %11s %9s %11s %9s %10s %12s\n' engine "floor up" "start/floor" "floor dn" "stop/floor" \
  "dry-run ms" "eng calls" "cycles"
printf '%s\n' "${floor_rows[@]}"
printf '\nper-step medians of start, seconds (BOT_BOTTLE_TIMINGS=1; sidecar and agent run side by side):\n'
printf '  %s\n' "${step_rows[@]}"
