#compdef bot-bottle

autoload -U is-at-least

_bot-bottle() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_bot-bottle_commands" \
"*::: :->bot-bottle" \
&& ret=0
    case $state in
    (bot-bottle)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
'*--allow-path=[A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. \`allow_paths\` in bot-bottle'\''s config file does the same for every launch]:PATH:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--dry-run[Print the plan and exit without creating anything]' \
'--json[Print machine-readable JSON on stdout instead of text]' \
'-y[Launch without asking for confirmation]' \
'--yes[Launch without asking for confirmation]' \
'--detach[Leave the bottle running in the background and print how to reach the agent; \`bot-bottle stop NAME\` removes it]' \
'--learn[A learn run, on trusted work only\: every host is reachable (DLP still blocks credentials), and when the bottle ends (or \`bot-bottle stop NAME\` removes it) the hosts the agent used are written to bottle.lock next to the manifest, for review. A normal start then allows them on top of the manifest'\''s allowlist]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::manifest -- The bottle manifest (TOML; JSON when the name ends in .json). Default\: ./bottle.toml if it exists, else the built-in default:_default' \
&& ret=0
;;
(approve)
_arguments "${_arguments_options[@]}" : \
'*--allow-path=[A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. \`allow_paths\` in bot-bottle'\''s config file does the same for every launch]:PATH:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--json[Print JSON on stdout]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::manifest -- The bottle manifest (TOML; JSON when the name ends in .json). Default\: ./bottle.toml if it exists, else the built-in default:_default' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--purge[Also remove the bottle'\''s state volume\: the next start logs in afresh]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':name -- The bottle'\''s name or slug, as `start` printed it:_default' \
&& ret=0
;;
(rm)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':name -- The bottle'\''s name or slug:_default' \
&& ret=0
;;
(attach)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':name -- The bottle'\''s name or slug:_default' \
'*::args -- Extra arguments for the agent'\''s command, after `--` (e.g. `-- --continue`):_default' \
&& ret=0
;;
(exec)
_arguments "${_arguments_options[@]}" : \
'-u+[Run as this user instead of the agent user (e.g. \`0\` for root, who has no capabilities)]:USER:_default' \
'--user=[Run as this user instead of the agent user (e.g. \`0\` for root, who has no capabilities)]:USER:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':name -- The bottle'\''s name or slug:_default' \
'*::command -- The command and its arguments, after `--`:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--json[Print JSON instead of a table]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(logs)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-f[Keep printing new events until the sidecar stops (Ctrl-C to quit)]' \
'--follow[Keep printing new events until the sidecar stops (Ctrl-C to quit)]' \
'--json[One JSON object per event (\`"schema"\: "bot-bottle.logs/v1"\`), with pipelock'\''s own event under \`event\`]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':name -- The bottle'\''s name or slug:_default' \
&& ret=0
;;
(policy)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_bot-bottle__subcmd__policy_commands" \
"*::: :->policy" \
&& ret=0

    case $state in
    (policy)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-policy-command-$line[1]:"
        case $line[1] in
            (log)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-f[Keep going\: print a host'\''s line again each time its counts change, until the sidecar stops (Ctrl-C to quit)]' \
'--follow[Keep going\: print a host'\''s line again each time its counts change, until the sidecar stops (Ctrl-C to quit)]' \
'--json[One JSON object per host line (\`"schema"\: "bot-bottle.policy-log/v1"\`)]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':name -- The bottle'\''s name or slug:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__policy__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-policy-help-command-$line[1]:"
        case $line[1] in
            (log)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(allow)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--json[Print JSON (\`"schema"\: "bot-bottle.allow/v1"\` or \`"bot-bottle.deny/v1"\`) instead of text]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':name -- The bottle'\''s name or slug:_default' \
'*::hosts -- Hostnames, as in egress.allowlist (`*.example.com` also matches example.com):_default' \
&& ret=0
;;
(deny)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--json[Print JSON (\`"schema"\: "bot-bottle.allow/v1"\` or \`"bot-bottle.deny/v1"\`) instead of text]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':name -- The bottle'\''s name or slug:_default' \
'*::hosts -- Hostnames, as in egress.allowlist (`*.example.com` also matches example.com):_default' \
&& ret=0
;;
(gc)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--dry-run[Only say what would be removed]' \
'--json[Print JSON on stdout]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
'*--allow-path=[A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. \`allow_paths\` in bot-bottle'\''s config file does the same for every launch]:PATH:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--json[Print JSON on stdout]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
'::manifest -- The bottle manifest (TOML; JSON when the name ends in .json). Default\: ./bottle.toml if it exists, else the built-in default:_default' \
&& ret=0
;;
(image)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_bot-bottle__subcmd__image_commands" \
"*::: :->image" \
&& ret=0

    case $state in
    (image)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-image-command-$line[1]:"
        case $line[1] in
            (build)
_arguments "${_arguments_options[@]}" : \
'--base=[The base image\: for the agent a Debian-family Node.js image (default node\:22-slim), for the git gate a Debian-family image (default debian\:bookworm-slim; one that has git, openssh-client and ca-certificates builds offline)]:IMAGE:_default' \
'--tag=[The name to give the image (default\: the name \`start\` uses)]:NAME:_default' \
'--claude-code-dir=[Take Claude Code from DIR, where \`npm install --prefix DIR @anthropic-ai/claude-code\` ran, instead of installing it with npm now (for a build without the npm registry)]:DIR:_default' \
'--source=[The git gate\: build bot-bottle-gate from DIR, a checkout of bot-bottle'\''s workspace (default\: the checkout this bot-bottle was built from, while it exists)]:DIR:_default' \
'(--source)--binary=[The git gate\: take FILE, a static bot-bottle-gate built before, instead of building one]:FILE:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
'::target -- Which image; the agent and pipelock when left out (the git gate only when named):(agent pipelock gate)' \
&& ret=0
;;
(pull)
_arguments "${_arguments_options[@]}" : \
'--from=[The published image to pull (e.g. pipelock'\''s, at tag 2.3.0). Also \`BOT_BOTTLE_PIPELOCK_SOURCE\`, \`BOT_BOTTLE_AGENT_SOURCE\` or \`BOT_BOTTLE_GATE_SOURCE\`]:REF:_default' \
'--tag=[The name to give the image (default\: the name \`start\` uses)]:NAME:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':target -- Which image:(agent pipelock gate)' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__image__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-image-help-command-$line[1]:"
        case $line[1] in
            (build)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(pull)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(export)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_bot-bottle__subcmd__export_commands" \
"*::: :->export" \
&& ret=0

    case $state in
    (export)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-export-command-$line[1]:"
        case $line[1] in
            (kube)
_arguments "${_arguments_options[@]}" : \
'*--allow-path=[A host file or directory (everything under it) the manifest may name outside its own directory, such as an SSH key kept out of the workspace; repeatable. \`allow_paths\` in bot-bottle'\''s config file does the same for every launch]:PATH:_default' \
'-o+[Write the objects to FILE (mode 0600), which must not exist yet unless --force]:FILE:_default' \
'--output=[Write the objects to FILE (mode 0600), which must not exist yet unless --force]:FILE:_default' \
'--init-image=[The image of the pod'\''s netfilter and unpack init containers\: sh, iptables and base64 on a Debian-family base (contrib/kube-init/Containerfile)]:IMAGE:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--force[Replace FILE when it exists]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::manifest -- The bottle manifest (TOML; JSON when the name ends in .json). Default\: ./bottle.toml if it exists, else the built-in default:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__export__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-export-help-command-$line[1]:"
        case $line[1] in
            (kube)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell to complete for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--dir=[Write bot-bottle.1 and one page per subcommand (bot-bottle-start.1, …) into DIR]:DIR:_default' \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-help-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(approve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(rm)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(attach)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(exec)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(logs)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(policy)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__help__subcmd__policy_commands" \
"*::: :->policy" \
&& ret=0

    case $state in
    (policy)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-help-policy-command-$line[1]:"
        case $line[1] in
            (log)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(allow)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(deny)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(gc)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(image)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__help__subcmd__image_commands" \
"*::: :->image" \
&& ret=0

    case $state in
    (image)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-help-image-command-$line[1]:"
        case $line[1] in
            (build)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(pull)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(export)
_arguments "${_arguments_options[@]}" : \
":: :_bot-bottle__subcmd__help__subcmd__export_commands" \
"*::: :->export" \
&& ret=0

    case $state in
    (export)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:bot-bottle-help-export-command-$line[1]:"
        case $line[1] in
            (kube)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_bot-bottle_commands] )) ||
_bot-bottle_commands() {
    local commands; commands=(
'start:Plan and launch a bottle' \
'approve:Approve a manifest\: print the effective policy a launch of it runs with (egress, forwarded env, host files, git pushes) and what changed since its last approval, and record it so that \`start -y\` launches it' \
'stop:Remove a bottle\: its agent, its pipelock sidecar and git gate, both networks and its stage directory. Its state volume (Claude Code'\''s login and settings) stays unless --purge' \
'rm:Remove a bottle and its state volume\: \`stop --purge NAME\`' \
'attach:Start the agent'\''s command again in a running (detached) bottle, attached to this terminal' \
'exec:Run a command in a running bottle'\''s agent (as the agent user, in /workspace) and exit with its exit code. It gets a TTY when stdin and stdout are terminals' \
'list:List bottles (running, detached, or left over by a crashed launch), and the state volumes of stopped ones' \
'logs:Print a bottle'\''s audit log\: what pipelock allowed and blocked, and what the git gate pushed and refused, one event a line' \
'policy:A bottle'\''s egress policy' \
'allow:Allow hosts in a running bottle, without restarting its agent\: pipelock reloads its config' \
'deny:Deny hosts in a running bottle, without restarting its agent\: pipelock reloads its config' \
'gc:Remove what crashed launches left\: containers, networks and stage directories of bottles whose launch no longer runs, and private scratch files (env files, podman'\''s copy spools) a killed bot-bottle left in its scratch place. Running and detached bottles, state volumes and anything without bot-bottle'\''s labels are left alone' \
'doctor:Check this host\: the engine, the images MANIFEST'\''s bottle would use, and live that an isolated network isolates. Exits 1 when it finds a problem, each with its fix' \
'image:Build or pull the agent, pipelock and git gate images under the names \`start\` uses by default' \
'export:Write a bottle for another place to run it' \
'completions:Print a completion script for SHELL (e.g. \`bot-bottle completions bash > /etc/bash_completion.d/bot-bottle\`)' \
'man:Print the manual page, or write one per command into DIR (as contrib/man/generate.sh does)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__allow_commands] )) ||
_bot-bottle__subcmd__allow_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle allow commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__approve_commands] )) ||
_bot-bottle__subcmd__approve_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle approve commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__attach_commands] )) ||
_bot-bottle__subcmd__attach_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle attach commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__completions_commands] )) ||
_bot-bottle__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle completions commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__deny_commands] )) ||
_bot-bottle__subcmd__deny_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle deny commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__doctor_commands] )) ||
_bot-bottle__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle doctor commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__exec_commands] )) ||
_bot-bottle__subcmd__exec_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle exec commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__export_commands] )) ||
_bot-bottle__subcmd__export_commands() {
    local commands; commands=(
'kube:Write the bottle as Kubernetes objects\: a Pod (pipelock, the git gate when declared, the agent), its \`NetworkPolicy\`, \`ConfigMap\` and \`Secret\` objects, for \`kubectl apply -f\` or \`podman kube play\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle export commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__export__subcmd__help_commands] )) ||
_bot-bottle__subcmd__export__subcmd__help_commands() {
    local commands; commands=(
'kube:Write the bottle as Kubernetes objects\: a Pod (pipelock, the git gate when declared, the agent), its \`NetworkPolicy\`, \`ConfigMap\` and \`Secret\` objects, for \`kubectl apply -f\` or \`podman kube play\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle export help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__export__subcmd__help__subcmd__help_commands] )) ||
_bot-bottle__subcmd__export__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle export help help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__export__subcmd__help__subcmd__kube_commands] )) ||
_bot-bottle__subcmd__export__subcmd__help__subcmd__kube_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle export help kube commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__export__subcmd__kube_commands] )) ||
_bot-bottle__subcmd__export__subcmd__kube_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle export kube commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__gc_commands] )) ||
_bot-bottle__subcmd__gc_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle gc commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help_commands] )) ||
_bot-bottle__subcmd__help_commands() {
    local commands; commands=(
'start:Plan and launch a bottle' \
'approve:Approve a manifest\: print the effective policy a launch of it runs with (egress, forwarded env, host files, git pushes) and what changed since its last approval, and record it so that \`start -y\` launches it' \
'stop:Remove a bottle\: its agent, its pipelock sidecar and git gate, both networks and its stage directory. Its state volume (Claude Code'\''s login and settings) stays unless --purge' \
'rm:Remove a bottle and its state volume\: \`stop --purge NAME\`' \
'attach:Start the agent'\''s command again in a running (detached) bottle, attached to this terminal' \
'exec:Run a command in a running bottle'\''s agent (as the agent user, in /workspace) and exit with its exit code. It gets a TTY when stdin and stdout are terminals' \
'list:List bottles (running, detached, or left over by a crashed launch), and the state volumes of stopped ones' \
'logs:Print a bottle'\''s audit log\: what pipelock allowed and blocked, and what the git gate pushed and refused, one event a line' \
'policy:A bottle'\''s egress policy' \
'allow:Allow hosts in a running bottle, without restarting its agent\: pipelock reloads its config' \
'deny:Deny hosts in a running bottle, without restarting its agent\: pipelock reloads its config' \
'gc:Remove what crashed launches left\: containers, networks and stage directories of bottles whose launch no longer runs, and private scratch files (env files, podman'\''s copy spools) a killed bot-bottle left in its scratch place. Running and detached bottles, state volumes and anything without bot-bottle'\''s labels are left alone' \
'doctor:Check this host\: the engine, the images MANIFEST'\''s bottle would use, and live that an isolated network isolates. Exits 1 when it finds a problem, each with its fix' \
'image:Build or pull the agent, pipelock and git gate images under the names \`start\` uses by default' \
'export:Write a bottle for another place to run it' \
'completions:Print a completion script for SHELL (e.g. \`bot-bottle completions bash > /etc/bash_completion.d/bot-bottle\`)' \
'man:Print the manual page, or write one per command into DIR (as contrib/man/generate.sh does)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__allow_commands] )) ||
_bot-bottle__subcmd__help__subcmd__allow_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help allow commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__approve_commands] )) ||
_bot-bottle__subcmd__help__subcmd__approve_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help approve commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__attach_commands] )) ||
_bot-bottle__subcmd__help__subcmd__attach_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help attach commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__completions_commands] )) ||
_bot-bottle__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help completions commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__deny_commands] )) ||
_bot-bottle__subcmd__help__subcmd__deny_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help deny commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__doctor_commands] )) ||
_bot-bottle__subcmd__help__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help doctor commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__exec_commands] )) ||
_bot-bottle__subcmd__help__subcmd__exec_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help exec commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__export_commands] )) ||
_bot-bottle__subcmd__help__subcmd__export_commands() {
    local commands; commands=(
'kube:Write the bottle as Kubernetes objects\: a Pod (pipelock, the git gate when declared, the agent), its \`NetworkPolicy\`, \`ConfigMap\` and \`Secret\` objects, for \`kubectl apply -f\` or \`podman kube play\`' \
    )
    _describe -t commands 'bot-bottle help export commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__export__subcmd__kube_commands] )) ||
_bot-bottle__subcmd__help__subcmd__export__subcmd__kube_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help export kube commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__gc_commands] )) ||
_bot-bottle__subcmd__help__subcmd__gc_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help gc commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__help_commands] )) ||
_bot-bottle__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__image_commands] )) ||
_bot-bottle__subcmd__help__subcmd__image_commands() {
    local commands; commands=(
'build:Build images here\: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)' \
'pull:Pull a published image, pin it by digest and name it as \`start\` expects' \
    )
    _describe -t commands 'bot-bottle help image commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__image__subcmd__build_commands] )) ||
_bot-bottle__subcmd__help__subcmd__image__subcmd__build_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help image build commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__image__subcmd__pull_commands] )) ||
_bot-bottle__subcmd__help__subcmd__image__subcmd__pull_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help image pull commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__list_commands] )) ||
_bot-bottle__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help list commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__logs_commands] )) ||
_bot-bottle__subcmd__help__subcmd__logs_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help logs commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__man_commands] )) ||
_bot-bottle__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help man commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__policy_commands] )) ||
_bot-bottle__subcmd__help__subcmd__policy_commands() {
    local commands; commands=(
'log:What a bottle'\''s proxy allowed and refused, one line per host with counts (from pipelock'\''s audit events)' \
    )
    _describe -t commands 'bot-bottle help policy commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__policy__subcmd__log_commands] )) ||
_bot-bottle__subcmd__help__subcmd__policy__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help policy log commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__rm_commands] )) ||
_bot-bottle__subcmd__help__subcmd__rm_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help rm commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__start_commands] )) ||
_bot-bottle__subcmd__help__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help start commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__stop_commands] )) ||
_bot-bottle__subcmd__help__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help stop commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image_commands] )) ||
_bot-bottle__subcmd__image_commands() {
    local commands; commands=(
'build:Build images here\: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)' \
'pull:Pull a published image, pin it by digest and name it as \`start\` expects' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle image commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__build_commands] )) ||
_bot-bottle__subcmd__image__subcmd__build_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle image build commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__help_commands] )) ||
_bot-bottle__subcmd__image__subcmd__help_commands() {
    local commands; commands=(
'build:Build images here\: the agent from contrib/agent (Claude Code from npm on a Debian-family Node.js base), pipelock 2.3.0 from source with Go, the git gate from contrib/gate (a static bot-bottle-gate built with cargo on a Debian-family base)' \
'pull:Pull a published image, pin it by digest and name it as \`start\` expects' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle image help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__help__subcmd__build_commands] )) ||
_bot-bottle__subcmd__image__subcmd__help__subcmd__build_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle image help build commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__help__subcmd__help_commands] )) ||
_bot-bottle__subcmd__image__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle image help help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__help__subcmd__pull_commands] )) ||
_bot-bottle__subcmd__image__subcmd__help__subcmd__pull_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle image help pull commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__image__subcmd__pull_commands] )) ||
_bot-bottle__subcmd__image__subcmd__pull_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle image pull commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__list_commands] )) ||
_bot-bottle__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle list commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__logs_commands] )) ||
_bot-bottle__subcmd__logs_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle logs commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__man_commands] )) ||
_bot-bottle__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle man commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__policy_commands] )) ||
_bot-bottle__subcmd__policy_commands() {
    local commands; commands=(
'log:What a bottle'\''s proxy allowed and refused, one line per host with counts (from pipelock'\''s audit events)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle policy commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__policy__subcmd__help_commands] )) ||
_bot-bottle__subcmd__policy__subcmd__help_commands() {
    local commands; commands=(
'log:What a bottle'\''s proxy allowed and refused, one line per host with counts (from pipelock'\''s audit events)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle policy help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__policy__subcmd__help__subcmd__help_commands] )) ||
_bot-bottle__subcmd__policy__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle policy help help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__policy__subcmd__help__subcmd__log_commands] )) ||
_bot-bottle__subcmd__policy__subcmd__help__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle policy help log commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__policy__subcmd__log_commands] )) ||
_bot-bottle__subcmd__policy__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle policy log commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__rm_commands] )) ||
_bot-bottle__subcmd__rm_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle rm commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__start_commands] )) ||
_bot-bottle__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle start commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__stop_commands] )) ||
_bot-bottle__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle stop commands' commands "$@"
}

if [ "$funcstack[1]" = "_bot-bottle" ]; then
    _bot-bottle "$@"
else
    compdef _bot-bottle bot-bottle
fi
