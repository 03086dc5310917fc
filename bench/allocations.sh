#!/bin/sh
# Heap allocations per steady-state step of the digits mlp (64-64-10 tanh), through the
# hand-derived kernels, the tape and a user's function: each workload runs under heaptrack twice,
# N and 2N steps long, and the difference of the two counts over N is the cost of one more step
# (start-up, the data's loading and arrays that grow once drop out).
#
#   bench/allocations.sh [--check] [N]   # N steps or calls (default 200)
#
# With --check it exits 1 unless each training step through the tape (the mlp replays its
# recording) makes no more allocations than through the hand-derived kernels, to half of one.
#
# Needs heaptrack (Debian: apt-get install heaptrack) and a release build of ritz-bench
# (swift build -c release; RITZ_BENCH names another binary).
set -eu

check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
n=${1:-200}
bench=${RITZ_BENCH:-.build/release/ritz-bench}
command -v heaptrack > /dev/null && command -v heaptrack_print > /dev/null || {
    echo "allocations.sh needs heaptrack and heaptrack_print (Debian: apt-get install heaptrack)" >&2
    exit 2
}
[ -x "$bench" ] || { echo "allocations.sh: no $bench (swift build -c release first)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Calls to allocation functions in one run of ritz-bench with the given arguments.
count() {
    rm -f "$work"/h*
    heaptrack -o "$work/h" "$bench" "$@" > /dev/null 2>&1
    heaptrack_print -f "$work"/h* 2> /dev/null | sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p'
}

# One more step's allocations: (count at 2N − count at N) / N.
per() {
    flag=$1 path=$2
    shift 2
    a=$(count "$flag" "$path" "$n" "$@")
    b=$(count "$flag" "$path" $((2 * n)) "$@")
    awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%8.1f", (b - a) / n }'
}

printf '%-44s %8s %8s %8s\n' "allocations per step or call" kernels tape function
failed=0
for row in "full-batch GD step, 2 threads|--engine-gd|2 0" \
           "GD step on 32 rows, 1 thread|--engine-gd|1 32" \
           "H v with its forward pass, 2 threads|--engine-hvp|2"; do
    label=${row%%|*}
    rest=${row#*|}
    flag=${rest%%|*}
    args=${rest#*|}
    # $args is split into its words on purpose (the threads, and the batch for GD).
    kernels=$(per "$flag" kernels $args)
    tape=$(per "$flag" tape $args)
    printf '%-44s %s %s %s\n' "$label" "$kernels" "$tape" "$(per "$flag" function $args)"
    if [ "$check" = 1 ] && [ "$flag" = --engine-gd ] && awk -v k="$kernels" -v t="$tape" 'BEGIN { exit !(t > k + 0.5) }'; then
        echo "allocations.sh: a training step through the tape makes $tape allocations, the kernels' $kernels" >&2
        failed=1
    fi
done
exit "$failed"
