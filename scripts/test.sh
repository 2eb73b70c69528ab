#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then runs gofmt, go vet, staticcheck and every test. This is the README's test command and
# what CI (.ci/run) calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use. Installed only when missing, so a warm machine
# pays nothing.
need=()
for pkg in $(grep -v '^#' scripts/apt-packages.txt); do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "== installing: ${need[*]}"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

export CGO_ENABLED=1
echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go') | grep -v '/testdata/' || true)
if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== staticcheck"
# Pinned; fetched through the module proxy on first use.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== go test"
# The golangci-lint end-to-end test builds golangci-lint (about 4.5 minutes on a
# cold build cache): part of the suite, so the plugin is proven on every run.
export CGOGUARD_GOLANGCI="${CGOGUARD_GOLANGCI:-1}"
go test -count=1 -timeout 30m ./...
