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
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'--dry-run[Print the plan and exit without creating anything]' \
'--json[Print machine-readable JSON on stdout instead of text]' \
'-y[Launch without asking for confirmation]' \
'--yes[Launch without asking for confirmation]' \
'--detach[Leave the bottle running in the background and print how to reach the agent; \`bot-bottle stop NAME\` removes it]' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::manifest -- The bottle manifest (TOML; JSON when the name ends in .json):_default' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--engine=[Container engine to use\: \`docker\`, \`podman\`, or a path to either binary. Default\: podman, then docker, found on PATH]:NAME|PATH:_default' \
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':name -- The bottle'\''s name or slug, as `start` printed it:_default' \
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
'-v[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'--verbose[Echo every engine command as \`+ podman …\` on stderr (values of forwarded env vars are never shown)]' \
'-h[Print help]' \
'--help[Print help]' \
':name -- The bottle'\''s name or slug:_default' \
&& ret=0
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
(stop)
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
(completions)
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
'stop:Remove a bottle\: its agent, its pipelock sidecar and git gate, both networks and its stage directory' \
'list:List bottles (running, detached, or left over by a crashed launch)' \
'logs:Print a bottle'\''s audit log\: pipelock'\''s JSON events (allowed, blocked, DLP hits), and the git gate'\''s (pushes, refused pushes)' \
'completions:Print a completion script for SHELL (e.g. \`bot-bottle completions bash > /etc/bash_completion.d/bot-bottle\`)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__completions_commands] )) ||
_bot-bottle__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle completions commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help_commands] )) ||
_bot-bottle__subcmd__help_commands() {
    local commands; commands=(
'start:Plan and launch a bottle' \
'stop:Remove a bottle\: its agent, its pipelock sidecar and git gate, both networks and its stage directory' \
'list:List bottles (running, detached, or left over by a crashed launch)' \
'logs:Print a bottle'\''s audit log\: pipelock'\''s JSON events (allowed, blocked, DLP hits), and the git gate'\''s (pushes, refused pushes)' \
'completions:Print a completion script for SHELL (e.g. \`bot-bottle completions bash > /etc/bash_completion.d/bot-bottle\`)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'bot-bottle help commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__completions_commands] )) ||
_bot-bottle__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help completions commands' commands "$@"
}
(( $+functions[_bot-bottle__subcmd__help__subcmd__help_commands] )) ||
_bot-bottle__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'bot-bottle help help commands' commands "$@"
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
