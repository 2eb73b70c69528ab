#!/usr/bin/env bash
# Wall time of "cgoguard vet" against "go vet" on the same packages, warm and
# cold build cache, side by side. Usage: bench/vet.sh [runs] [package patterns...]
# Default: 5 runs over ./traps/... . Prints the median of each and the ratio.
# Packages are resolved in the current directory, so the script can measure
# any module: cd /path/to/module && /path/to/cgoguard/bench/vet.sh 3 ./...
set -euo pipefail
runs=${1:-5}; shift || true
pkgs=("$@"); [ ${#pkgs[@]} -gt 0 ] || pkgs=(./traps/...)
bin=$(mktemp -d)/cgoguard
(cd "$(dirname "$0")/.." && go build -o "$bin" ./cmd/cgoguard)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # prints seconds for one run of "$@"
	local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN{print e - s}'
}
measure() { # mode label cmd...
	local mode=$1; shift
	for _ in $(seq "$runs"); do
		if [ "$mode" = cold ]; then
			export GOCACHE; GOCACHE=$(mktemp -d)
			timeit "$@"; rm -rf "$GOCACHE"; unset GOCACHE
		else
			timeit "$@"
		fi
	done | median
}
# Warm both caches first.
go vet "${pkgs[@]}" >/dev/null 2>&1 || true
"$bin" vet "${pkgs[@]}" >/dev/null 2>&1 || true
printf "%-6s %12s %14s %8s\n" cache "go vet (s)" "cgoguard (s)" ratio
for mode in ${MODES:-warm cold}; do
	gv=$(measure $mode go vet "${pkgs[@]}")
	cg=$(measure $mode "$bin" vet "${pkgs[@]}")
	printf "%-6s %12.2f %14.2f %7.2fx\n" $mode "$gv" "$cg" "$(awk -v a="$cg" -v b="$gv" 'BEGIN{print a / b}')"
done
echo "packages: ${pkgs[*]}; runs: $runs; $(go version); $(nproc) cores"
