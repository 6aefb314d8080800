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
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "stop" -d 'Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage directory'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "list" -d 'List bottles (running, detached, or left over by a crashed launch)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "logs" -d 'Print a bottle\'s audit log: pipelock\'s JSON events (allowed, blocked, DLP hits), and the git gate\'s (pushes, refused pushes)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "completions" -d 'Print a completion script for SHELL (e.g. `bot-bottle completions bash > /etc/bash_completion.d/bot-bottle`)'
complete -c bot-bottle -n "__fish_bot_bottle_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l dry-run -d 'Print the plan and exit without creating anything'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s y -l yes -d 'Launch without asking for confirmation'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -l detach -d 'Leave the bottle running in the background and print how to reach the agent; `bot-bottle stop NAME` removes it'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand stop" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -l json -d 'Print JSON instead of a table'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand list" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s f -l follow -d 'Keep printing new events until the sidecar stops (Ctrl-C to quit)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand logs" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -l engine -d 'Container engine to use: `docker`, `podman`, or a path to either binary. Default: podman, then docker, found on PATH' -r
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -s v -l verbose -d 'Echo every engine command as `+ podman …` on stderr (values of forwarded env vars are never shown)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand completions" -s h -l help -d 'Print help'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "start" -d 'Plan and launch a bottle'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "stop" -d 'Remove a bottle: its agent, its pipelock sidecar and git gate, both networks and its stage directory'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "list" -d 'List bottles (running, detached, or left over by a crashed launch)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "logs" -d 'Print a bottle\'s audit log: pipelock\'s JSON events (allowed, blocked, DLP hits), and the git gate\'s (pushes, refused pushes)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "completions" -d 'Print a completion script for SHELL (e.g. `bot-bottle completions bash > /etc/bash_completion.d/bot-bottle`)'
complete -c bot-bottle -n "__fish_bot_bottle_using_subcommand help; and not __fish_seen_subcommand_from start stop list logs completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
