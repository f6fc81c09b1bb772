#!/usr/bin/env bash
# Checks that imports inside src/ only go down the pipeline's layers: a module may
# use modules of a lower layer, never one of its own layer or above (run by
# scripts/test.sh). The layers, lowest first:
#   0 interaction, reporter  the shared shapes and the reporting trait
#   1 text, audio, model     normalization, decoding, model files
#   2 input, asr             reading files, recognizing speech
#   3 call, rules            recordings to interactions; the service standard
#   4 scan                   matching, scoring, result records
#   5 aggregate              per agent and period
#   6 store                  the state database
#   7 output                 files other systems read (incl. merge, export)
#   8 sample                 QA sampling (plans against the store, writes CSV)
#   9 batch, serve           the run; the review workbench
#  10 cli                    checked configurations and commands
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A rank=(
    [interaction]=0 [reporter]=0
    [text]=1 [audio]=1 [model]=1
    [input]=2 [asr]=2
    [call]=3 [rules]=3
    [scan]=4 [aggregate]=5 [store]=6 [output]=7 [sample]=8 [batch]=9 [serve]=9 [cli]=10
)
bad=0
for path in src/*; do
    name=$(basename "$path" .rs)
    [[ $name == lib || $name == bin ]] && continue
    own=${rank[$name]:-}
    if [[ -z $own ]]; then
        echo "check_layers: $path has no layer; add it to scripts/check_layers.sh" >&2
        bad=1
        continue
    fi
    while IFS=: read -r file line used; do
        target=${used#crate::}
        [[ $target == "$name" ]] && continue
        theirs=${rank[$target]:-}
        if [[ -z $theirs ]]; then
            echo "check_layers: $file:$line uses crate::$target, which has no layer" >&2
            bad=1
        elif ((theirs >= own)); then
            echo "check_layers: $file:$line: $name (layer $own) uses $target (layer $theirs); imports must go down" >&2
            bad=1
        fi
    done < <(grep -rnoE 'crate::[a-z_]+' "$path" | sort -u)
done
exit $bad
