#!/bin/bash
# fuzz.sh SECONDS [FIGURES]: fuzz every target in the module for about
# SECONDS each (at least one round). With FIGURES, append one F1 row per
# target (JSON lines, rendered into RELIABILITY.md by toolchain/cmd/figures).
# Exits non-zero if any target failed; go test keeps a crasher under
# testdata/fuzz/. FUZZ_FILES overrides the list of test files searched.
#
# Each target runs in rounds bounded by a count (-fuzztime Nx), never by a
# duration: go1.26's fuzz coordinator can report its own -fuzztime deadline
# as a failure, "context deadline exceeded" with no failing input
# (golang/go#75804, fixed in go1.27). A count sets no deadline. Rounds
# double in size, the last one sized to the rate seen so far.
set -euo pipefail
secs=${1:?usage: fuzz.sh SECONDS [FIGURES]}
figures=${2:-}
first=5000
cd "$(dirname "$0")/.."

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# fuzz_round PKG TARGET COUNT: one count-bounded run; prints its execs.
fuzz_round() {
	local log execs
	log=$(mktemp)
	if ! go test -run '^$' -fuzz "^$2\$" -fuzztime "$3x" "$1" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		return 1
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	rm -f "$log"
	echo "${execs:-0}"
}

# fuzz_target PKG TARGET: rounds until SECONDS are spent; prints
# "EXECS MILLISECONDS PASS".
fuzz_target() {
	local start elapsed left n=$first total=0 got rate
	start=$(now_ms)
	while :; do
		if ! got=$(fuzz_round "$1" "$2" "$n"); then
			echo "$total $(($(now_ms) - start)) false"
			return
		fi
		total=$((total + got))
		elapsed=$(($(now_ms) - start))
		left=$((secs * 1000 - elapsed))
		[ "$left" -le 0 ] && break
		rate=$((total * 1000 / (elapsed + 1)))
		n=$((2 * n))
		[ $((rate * left / 1000)) -lt "$n" ] && n=$((rate * left / 1000))
		[ "$n" -lt 1000 ] && n=1000
	done
	echo "$total $elapsed true"
}

test_files() {
	if [ -n "${FUZZ_FILES:-}" ]; then
		tr ' ' '\n' <<<"$FUZZ_FILES"
	else
		grep -rl --include='*_test.go' '^func Fuzz' app runtime toolchain | sort
	fi
}

failed=0
while IFS= read -r file; do
	pkg=./$(dirname "$file")
	while IFS= read -r target; do
		read -r execs ms pass < <(fuzz_target "$pkg" "$target")
		[ "$pass" = true ] || failed=1
		took=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
		echo "fuzz: $pkg $target: $execs execs in ${took}s, pass=$pass"
		if [ -n "$figures" ]; then
			printf '{"id":"F1","what":"fuzz %s %s","figure":"%s executions in %s s, %s","pass":%s}\n' \
				"${pkg#./}" "$target" "$execs" "$took" \
				"$([ "$pass" = true ] && echo 'no crashers' || echo 'FAILED: see the log; a crasher is kept under testdata/fuzz')" \
				"$pass" >>"$figures"
		fi
	done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file")
done < <(test_files)
exit "$failed"
