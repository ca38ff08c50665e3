#!/bin/sh
# Runs to the first violation for every zoo bug: each strategy of
# terrarium explore on the bug's scenario, and seed sweeps on the scenario
# and on its sweep.yaml (jitter, nemesis). Prints one markdown row a
# search: bug, search, runs, wall time, verdict. Usage (from the repo):
#   go build -o /tmp/terrarium ./cmd/terrarium && sh plugins/zoo/measure.sh /tmp/terrarium [SWEEP_BUDGET]
set -u
bin=$1
budget=${2:-10000}
out=$(mktemp -d)
row() { # bug search file flags...
	bug=$1 search=$2 file=$3
	shift 3
	"$bin" explore "plugins/zoo/$bug/$file" --quiet --out "$out/$bug.yaml" "$@" >"$out/log" 2>&1
	runs=$(sed -n 's/^runs \([0-9]*\) .*elapsed \([^ ]*\).*/\1 \2/p' "$out/log")
	first=$(sed -n 's/^first failing run: \([0-9]*\).*/\1/p' "$out/log")
	set -- $runs
	if [ -n "$first" ]; then
		echo "| $bug | $search | $first | $2 | found |"
	else
		echo "| $bug | $search | $1 | $2 | not found |"
	fi
}
for bug in stamp forget cache lease; do
	crashes=0
	[ "$bug" = forget ] && crashes=1
	row "$bug" "sweep (scenario)" scenario.yaml --strategy sweep --budget 1000
	row "$bug" "sweep (sweep.yaml)" sweep.yaml --strategy sweep --budget "$budget"
	row "$bug" "dfs, bound 2" scenario.yaml --strategy dfs --bound 2 --crashes $crashes --budget 10000
	row "$bug" "pct, depth 3" scenario.yaml --strategy pct --depth 3 --crashes $crashes --budget 10000
	row "$bug" "random walk" scenario.yaml --strategy random --crashes $crashes --budget 10000
done
rm -rf "$out"
