# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_bot_bottle_global_optspecs
    string join \n engine= v/verbose h/help V/version
end

function __fish_bot_bottle_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_bot_bottle_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_bot_bottle_using_subcommand
    set -l cmd (__fish_bot_bottle_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -s V -l version -d 'Print version'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "start" -d 'Plan and launch a bottle'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "approve" -d 'Approve a manifest: print the effective policy a launch of it runs with (egress, forwarded env, host files, git pushes) and what changed since its last approval, and record it so that `start -y` launches it'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "stop" -d 'Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage directory. Its state volume (Claude Code\'s login and settings) stays unless --purge'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "rm" -d 'Remove a bottle and its state volume: `stop --purge NAME`'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "attach" -d 'Start the agent\'s command again in a running (detached) bottle, attached to this terminal'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "exec" -d 'Run a command in a running bottle\'s agent (as the agent user, in /workspace) and exit with its exit code. It gets a TTY when stdin and stdout are terminals'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "list" -d 'List bottles (running, detached, or left over by a crashed launch), and the state volumes of stopped ones'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "logs" -d 'Print a bottle\'s audit log: what pipelock allowed and blocked, and what the git gate pushed and refused, one event a line'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "policy" -d 'A bottle\'s egress policy'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "allow" -d 'Allow hosts in a running bottle, without restarting its agent: pipelock reloads its config'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "deny" -d 'Deny hosts in a running bottle, without restarting its agent: pipelock reloads its config'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "gc" -d 'Remove what crashed launches left: containers, networks and stage directories of bottles whose launch no longer runs, and private scratch files (env files, podman\'s copy spools) a killed bot-bottle left in its scratch place. Running and detached bottles, state volumes and anything without bot-bottle\'s labels are left alone'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "doctor" -d 'Check this host: the engine, the images MANIFEST\'s bottle would use, and live that an isolated network isolates. Exits 1 when it finds a problem, each with its fix'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "image" -d 'Build or pull the agent, pipelock and git gate images under the names `start` uses by default'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "export" -d 'Write a bottle for another place to run it'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "completions" -d 'Print a completion script for SHELL (e.g. `bot-bottle completions bash > /etc/bash_completion.d/bot-bottle`)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "man" -d 'Print the manual page, or write one per command into DIR (as contrib/man/generate.sh does)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l allow-path -d 'A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. `allow_paths` in bot-bottle\'s config file does the same for every launch' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l dry-run -d 'Print the plan and exit without creating anything'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s y -l yes -d 'Launch without asking for confirmation'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l detach -d 'Leave the bottle running in the background and print how to reach the agent; `bot-bottle stop NAME` removes it'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l learn -d 'A learn run, on trusted work only: every host is reachable (DLP still blocks credentials), and when the bottle ends (or `bot-bottle stop NAME` removes it) the hosts the agent used are written to bottle.lock next to the manifest, for review. A normal start then allows them on top of the manifest\'s allowlist'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand approve" -l allow-path -d 'A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. `allow_paths` in bot-bottle\'s config file does the same for every launch' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand approve" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand approve" -l json -d 'Print JSON on stdout'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand approve" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -l purge -d 'Also remove the bottle\'s state volume: the next start logs in afresh'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand rm" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand rm" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand rm" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand attach" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand attach" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand exec" -s u -l user -d 'Run as this user instead of the agent user (e.g. `0` for root, who has no capabilities)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand exec" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand exec" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand exec" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -l json -d 'Print JSON instead of a table'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s f -l follow -d 'Keep printing new events until the sidecar stops (Ctrl-C to quit)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -l json -d 'One JSON object per event (`"schema": "bot-bottle.logs/v1"`), with pipelock\'s own event under `event`'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and not __fish_seen_subcommand_from log help" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and not __fish_seen_subcommand_from log help" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and not __fish_seen_subcommand_from log help" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and not __fish_seen_subcommand_from log help" -f -a "log" -d 'What a bottle\'s proxy allowed and refused, one line per host with counts (from pipelock\'s audit events)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and not __fish_seen_subcommand_from log help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from log" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from log" -s f -l follow -d 'Keep going: print a host\'s line again each time its counts change, until the sidecar stops (Ctrl-C to quit)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from log" -l json -d 'One JSON object per host line (`"schema": "bot-bottle.policy-log/v1"`)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from log" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "log" -d 'What a bottle\'s proxy allowed and refused, one line per host with counts (from pipelock\'s audit events)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand policy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand allow" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand allow" -l json -d 'Print JSON (`"schema": "bot-bottle.allow/v1"` or `"bot-bottle.deny/v1"`) instead of text'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand allow" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand allow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand deny" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand deny" -l json -d 'Print JSON (`"schema": "bot-bottle.allow/v1"` or `"bot-bottle.deny/v1"`) instead of text'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand deny" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand deny" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand gc" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand gc" -l dry-run -d 'Only say what would be removed'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand gc" -l json -d 'Print JSON on stdout'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand gc" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand gc" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand doctor" -l allow-path -d 'A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. `allow_paths` in bot-bottle\'s config file does the same for every launch' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand doctor" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand doctor" -l json -d 'Print JSON on stdout'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand doctor" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -f -a "build" -d 'Build images here: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -f -a "pull" -d 'Pull a published image, pin it by digest and name it as `start` expects'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and not __fish_seen_subcommand_from build pull help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l base -d 'The base image: for the agent a Debian-family Node.js image (default node:22-slim), for the git gate a Debian-family image (default debian:bookworm-slim; one that has git, openssh-client and ca-certificates builds offline)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l tag -d 'The name to give the image (default: the name `start` uses)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l claude-code-dir -d 'Take Claude Code from DIR, where `npm install --prefix DIR @anthropic-ai/claude-code` ran, instead of installing it with npm now (for a build without the npm registry)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l source -d 'The git gate: build bot-bottle-gate from DIR, a checkout of bot-bottle\'s workspace (default: the checkout this bot-bottle was built from, while it exists)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l binary -d 'The git gate: take FILE, a static bot-bottle-gate built before, instead of building one' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from pull" -l from -d 'The published image to pull (e.g. pipelock\'s, at tag 2.3.0). Also `BOT_BOTTLE_PIPELOCK_SOURCE`, `BOT_BOTTLE_AGENT_SOURCE` or `BOT_BOTTLE_GATE_SOURCE`' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from pull" -l tag -d 'The name to give the image (default: the name `start` uses)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from pull" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from pull" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from pull" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "build" -d 'Build images here: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "pull" -d 'Pull a published image, pin it by digest and name it as `start` expects'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand image; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and not __fish_seen_subcommand_from kube help" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and not __fish_seen_subcommand_from kube help" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and not __fish_seen_subcommand_from kube help" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and not __fish_seen_subcommand_from kube help" -f -a "kube" -d 'Write the bottle as Kubernetes objects: a Pod (pipelock, the git gate when declared, the agent), its `NetworkPolicy`, `ConfigMap` and `Secret` objects, for `kubectl apply -f` or `podman kube play`'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and not __fish_seen_subcommand_from kube help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -l allow-path -d 'A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. `allow_paths` in bot-bottle\'s config file does the same for every launch' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -s o -l output -d 'Write the objects to FILE (mode 0600), which must not exist yet unless --force' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -l init-image -d 'The image of the pod\'s netfilter and unpack init containers: sh, iptables and base64 on a Debian-family base (contrib/kube-init/Containerfile)' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -l force -d 'Replace FILE when it exists'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from kube" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from help" -f -a "kube" -d 'Write the bottle as Kubernetes objects: a Pod (pipelock, the git gate when declared, the agent), its `NetworkPolicy`, `ConfigMap` and `Secret` objects, for `kubectl apply -f` or `podman kube play`'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand export; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand man" -l dir -d 'Write bot-bottle.1 and one page per subcommand (bot-bottle-start.1, …) into DIR' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand man" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand man" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand man" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "start" -d 'Plan and launch a bottle'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "approve" -d 'Approve a manifest: print the effective policy a launch of it runs with (egress, forwarded env, host files, git pushes) and what changed since its last approval, and record it so that `start -y` launches it'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "stop" -d 'Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage directory. Its state volume (Claude Code\'s login and settings) stays unless --purge'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "rm" -d 'Remove a bottle and its state volume: `stop --purge NAME`'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "attach" -d 'Start the agent\'s command again in a running (detached) bottle, attached to this terminal'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "exec" -d 'Run a command in a running bottle\'s agent (as the agent user, in /workspace) and exit with its exit code. It gets a TTY when stdin and stdout are terminals'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "list" -d 'List bottles (running, detached, or left over by a crashed launch), and the state volumes of stopped ones'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "logs" -d 'Print a bottle\'s audit log: what pipelock allowed and blocked, and what the git gate pushed and refused, one event a line'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "policy" -d 'A bottle\'s egress policy'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "allow" -d 'Allow hosts in a running bottle, without restarting its agent: pipelock reloads its config'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "deny" -d 'Deny hosts in a running bottle, without restarting its agent: pipelock reloads its config'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "gc" -d 'Remove what crashed launches left: containers, networks and stage directories of bottles whose launch no longer runs, and private scratch files (env files, podman\'s copy spools) a killed bot-bottle left in its scratch place. Running and detached bottles, state volumes and anything without bot-bottle\'s labels are left alone'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "doctor" -d 'Check this host: the engine, the images MANIFEST\'s bottle would use, and live that an isolated network isolates. Exits 1 when it finds a problem, each with its fix'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "image" -d 'Build or pull the agent, pipelock and git gate images under the names `start` uses by default'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "export" -d 'Write a bottle for another place to run it'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "completions" -d 'Print a completion script for SHELL (e.g. `bot-bottle completions bash > /etc/bash_completion.d/bot-bottle`)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "man" -d 'Print the manual page, or write one per command into DIR (as contrib/man/generate.sh does)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start approve stop rm attach exec list logs policy allow deny gc doctor image export completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and __fish_seen_subcommand_from policy" -f -a "log" -d 'What a bottle\'s proxy allowed and refused, one line per host with counts (from pipelock\'s audit events)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "build" -d 'Build images here: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and __fish_seen_subcommand_from image" -f -a "pull" -d 'Pull a published image, pin it by digest and name it as `start` expects'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and __fish_seen_subcommand_from export" -f -a "kube" -d 'Write the bottle as Kubernetes objects: a Pod (pipelock, the git gate when declared, the agent), its `NetworkPolicy`, `ConfigMap` and `Secret` objects, for `kubectl apply -f` or `podman kube play`'
