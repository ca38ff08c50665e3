#!/bin/sh
# Runs to the first violation for every zoo bug: each strategy of
# terrarium explore on the bug's scenario, and seed sweeps on the scenario
# and on its sweep.yaml (jitter, nemesis); for the bundled broken variants
# (plugins/twopc, plugins/saga broken.yaml) each search on the file itself.
# Prints one markdown row a search: bug, search, runs, wall time, verdict.
# The Rust guest (plugins/zoo/saga/main.rs) is built first, into
# plugins/zoo/saga/saga.wasm (not in git). Usage (from the repo):
#   go build -o /tmp/terrarium ./cmd/terrarium && sh plugins/zoo/measure.sh /tmp/terrarium [SWEEP_BUDGET]
set -u
bin=$1
budget=${2:-10000}
out=$(mktemp -d)
rustc=/usr/bin/rustc
[ -x "$rustc" ] || rustc=rustc
"$rustc" --target wasm32-unknown-unknown --crate-type cdylib -O -C panic=abort -C strip=symbols \
	-o plugins/zoo/saga/saga.wasm plugins/zoo/saga/main.rs || exit 2
row() { # label search path flags... (sh has no locals: names apart from the loops')
	label=$1 search=$2 file=$3
	shift 3
	"$bin" explore "$file" --quiet --out "$out/found.yaml" "$@" >"$out/log" 2>&1
	runs=$(sed -n 's/^runs \([0-9]*\) .*elapsed \([^ ]*\).*/\1 \2/p' "$out/log")
	first=$(sed -n 's/^first failing run: \([0-9]*\).*/\1/p' "$out/log")
	set -- $runs
	if [ -n "$first" ]; then
		echo "| $label | $search | $first | $2 | found |"
	else
		echo "| $label | $search | $1 | $2 | not found |"
	fi
}
for bug in stamp forget cache lease saga elect tickets; do
	crashes=0
	case $bug in forget | elect) crashes=1 ;; esac
	dir=plugins/zoo/$bug
	row "$bug" "sweep (scenario)" $dir/scenario.yaml --strategy sweep --budget 1000
	row "$bug" "sweep (sweep.yaml)" $dir/sweep.yaml --strategy sweep --budget "$budget"
	row "$bug" "dfs, bound 2" $dir/scenario.yaml --strategy dfs --bound 2 --crashes $crashes --budget 10000
	row "$bug" "pct, depth 3" $dir/scenario.yaml --strategy pct --depth 3 --crashes $crashes --budget 10000
	row "$bug" "random walk" $dir/scenario.yaml --strategy random --crashes $crashes --budget 10000
done
for bug in twopc saga; do
	file=plugins/$bug/broken.yaml
	row "$bug-broken" "sweep" $file --strategy sweep --budget 1000
	row "$bug-broken" "dfs, bound 2" $file --strategy dfs --bound 2 --budget 1000
	row "$bug-broken" "pct, depth 3" $file --strategy pct --depth 3 --budget 1000
	row "$bug-broken" "random walk" $file --strategy random --budget 1000
done
rm -rf "$out"
