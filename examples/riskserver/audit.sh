#!/usr/bin/env bash
# Technical-debt audit of the riskserver (the seed's chapter 5: "quarterly
# technical-debt audits", static scanning plus dynamic tracing, which found
# memory leaks in model hot reload). Here: cgoguard vet (static, with and
# without the project's XGBoost knowledge), every test binary under the
# C-memory tracker, and a long hot-reload run under load under the tracker.
# Prints a summary; exit status 1 if anything was found.
#
#	bash examples/riskserver/audit.sh [reloads]
set -uo pipefail
cd "$(dirname "$0")/../.."
reloads=${1:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CGO_ENABLED=1

go build -o "$tmp/cgoguard" ./cmd/cgoguard || exit 2
go build -o "$tmp/reloadprobe" ./examples/riskserver/internal/reloadprobe || exit 2
status=0

echo "== static: cgoguard vet ./examples/riskserver/..."
"$tmp/cgoguard" vet ./examples/riskserver/... >"$tmp/vet.txt" 2>&1
vet_rc=$?
"$tmp/cgoguard" vet -config examples/riskserver/cgoguard.json ./examples/riskserver/... >"$tmp/vetc.txt" 2>&1
vetc_rc=$?
cat "$tmp/vet.txt" "$tmp/vetc.txt"
vet_n=$(grep -c '\[[a-z]*\]$' "$tmp/vet.txt")
vetc_n=$(grep -c '\[[a-z]*\]$' "$tmp/vetc.txt")
[ "$vet_rc" -eq 0 ] && [ "$vetc_rc" -eq 0 ] || status=1

echo "== dynamic: cgoguard test (every cgo test binary under the tracker)"
# schema's tests are pure Go (a static binary: nothing to interpose).
pkgs=$(go list ./examples/riskserver/... | grep -v -e /schema$ -e /xgb$ -e /cmd/ -e /internal/)
start=$(date +%s)
"$tmp/cgoguard" test -suppressions "$PWD/examples/riskserver/tracker.supp" $pkgs >"$tmp/test.txt" 2>&1
test_rc=$?
test_s=$(( $(date +%s) - start ))
grep -E '^(ok|FAIL|---|LEAK|DOUBLE|INVALID|WRITE|cgoguard test:)' "$tmp/test.txt"
[ "$test_rc" -eq 0 ] || status=1
tracked=$(sed -n 's/^cgoguard test: \([0-9]*\) test binaries tracked, \([0-9]*\) findings.*/\1 binaries, \2 findings/p' "$tmp/test.txt")

echo "== hot reload: $reloads reloads under load, under the tracker"
probe=$("$tmp/cgoguard" run -suppressions examples/riskserver/tracker.supp -- "$tmp/reloadprobe" -mode service -reloads "$reloads" 2>"$tmp/run.txt")
run_rc=$?
echo "$probe"
grep -E '^(cgoguard|LEAK|DOUBLE|INVALID|WRITE)' "$tmp/run.txt"
[ "$run_rc" -eq 0 ] || status=1
echo "$probe" | grep -q 'leaked_blocks=0 ' || status=1

echo
echo "== summary"
printf '%-44s %s\n' \
	"cgoguard vet (built-in knowledge)" "$vet_n findings (exit $vet_rc)" \
	"cgoguard vet (+ cgoguard.json: XGBoost)" "$vetc_n findings (exit $vetc_rc)" \
	"tracker over the tests" "${tracked:-?} (exit $test_rc, ${test_s}s)" \
	"tracker over $reloads hot reloads under load" "$(echo "$probe" | sed 's/mode=service //') (exit $run_rc)"
if [ "$status" -eq 0 ]; then echo "audit: clean"; else echo "audit: FINDINGS"; fi
exit $status
