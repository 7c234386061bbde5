# shellcheck shell=bash
# Bash completion for slotnet (make install puts it where bash-completion
# finds it): global options, commands, each command's options and their
# values, as `slotnet COMMAND -h` lists them (one table in the binary makes
# both), and slot numbers from the pinned state (as root).  Self-contained:
# it needs none of bash-completion's helpers.

# The options `slotnet CMD -h` lists, one per line ("--tunnel vxlan|geneve"
# gives "--tunnel" here, its values through _slotnet_values).
_slotnet_help() { # SLOTNET CMD
    "$1" "$2" -h 2>/dev/null | sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p'
}

# The values of option OPT of CMD when its help gives them as a|b|c.
_slotnet_values() { # SLOTNET CMD OPT
    "$1" "$2" -h 2>/dev/null |
        sed -n "s/^ *\(-[a-z], \)\{0,1\}$3 \([a-z0-9|]*|[a-z0-9|]*\) .*/\2/p" | tr '|' ' '
}

# Slot numbers 0..N-1 of the pins (PIN_DIR, or the default), when readable.
_slotnet_slots() { # SLOTNET [PIN_DIR]
    local n
    n=$("$1" ${2:+--pin-dir "$2"} -j dump 0 2>/dev/null |
        sed -n 's/.*"config":{[^}]*"slots":\([0-9]*\).*/\1/p')
    [[ -n $n && $n -gt 0 ]] && seq 0 $((n - 1))
}

_slotnet() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local sn=${COMP_WORDS[0]} cmd='' pin='' i
    # bash splits "--opt=value" at '=' (COMP_WORDBREAKS): "--opt" "=" "value".
    if [[ $cur == = ]]; then
        cur=''
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    local globals='-j --json -q --quiet --no-wait -v --verbose --pin-dir -b --batch -k --keep-going -V --version -h --help'
    local cmds='prewarm bind unbind dump check rules teardown'
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --pin-dir)
                if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                    pin=${COMP_WORDS[i + 2]}; i=$((i + 2))
                else
                    pin=${COMP_WORDS[i + 1]}; i=$((i + 1))
                fi ;;
            --pin-dir=*) pin=${COMP_WORDS[i]#--pin-dir=} ;;
            -b | --batch) i=$((i + 1)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        case $prev in
            --pin-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
            -b | --batch) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        esac
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$globals" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$cmds" -- "$cur")
        fi
        return
    fi
    # Only an option's name goes into the patterns below.
    if [[ $prev =~ ^--[a-z0-9-]+$ ]]; then
        local values
        values=$(_slotnet_values "$sn" "$cmd" "$prev")
        if [[ -n $values ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
            return
        fi
        # An option that takes a value of its own (N, ADDR, DIR): nothing to offer but files.
        if "$sn" "$cmd" -h 2>/dev/null | grep -qE "^ +(-[a-z], )?$prev [A-Z]"; then
            [[ $prev == --textfile ]] && mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return
        fi
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_slotnet_help "$sn" "$cmd") -h" -- "$cur")
        return
    fi
    case $cmd in
        bind | unbind | dump | check)
            mapfile -t COMPREPLY < <(compgen -W "$(_slotnet_slots "$sn" "$pin")" -- "$cur") ;;
    esac
}
complete -F _slotnet slotnet
