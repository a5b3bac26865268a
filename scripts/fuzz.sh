#!/bin/bash
# fuzz.sh SECONDS [FIGURES]: run every fuzz target in the module for
# SECONDS each. With FIGURES, append one F1 row per target (JSON lines,
# rendered into RELIABILITY.md by toolchain/cmd/figures). Exits non-zero
# if any target found a crasher; go test keeps it under testdata/fuzz/.
set -euo pipefail
secs=${1:?usage: fuzz.sh SECONDS [FIGURES]}
figures=${2:-}
cd "$(dirname "$0")/.."
failed=0
while IFS= read -r file; do
	pkg=./$(dirname "$file")
	while IFS= read -r target; do
		log=$(mktemp)
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" "$pkg" >"$log" 2>&1; then
			pass=true
		else
			pass=false
			failed=1
			cat "$log" >&2
		fi
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
		rm -f "$log"
		echo "fuzz: $pkg $target: ${execs:-0} execs in ${secs}s, pass=$pass"
		if [ -n "$figures" ]; then
			printf '{"id":"F1","what":"fuzz %s %s","figure":"%s executions in %s s, %s","pass":%s}\n' \
				"${pkg#./}" "$target" "${execs:-0}" "$secs" \
				"$([ "$pass" = true ] && echo 'no crashers' || echo 'CRASHER kept under testdata/fuzz')" \
				"$pass" >>"$figures"
		fi
	done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file")
done < <(grep -rl --include='*_test.go' '^func Fuzz' app runtime toolchain | sort)
exit "$failed"
