#!/usr/bin/env bash
# The broken variants stay inside tests/broken (system/io/broken_variant.h):
#  1. nothing shipped (the crashdrill binary, the normal libraries of the
#     chain) has a crashdrill::broken symbol, defined or referenced;
#  2. every broken branch is compiled into a variant copy: each source that
#     uses CRASHDRILL_BROKEN( is in a copy, and its object there calls Active();
#  3. the test binary defines Active() once and links no object of a normal
#     library of the chain (its link map names the archive of every object),
#     so it holds one copy of the chain: the variant one.
# Usage: check_isolation.sh --source-dir DIR --variant-sources LIST
#          --shipped BINARY ARCHIVE... --variants ARCHIVE... --test-binary BINARY --map MAP
set -euo pipefail

shipped=() variants=()
while (($#)); do
  case $1 in
    --source-dir) source_dir=$2; shift 2 ;;
    --variant-sources) variant_sources=$2; shift 2 ;;
    --test-binary) test_binary=$2; shift 2 ;;
    --map) map=$2; shift 2 ;;
    --shipped) list=shipped; shift ;;
    --variants) list=variants; shift ;;
    *) if [[ $list == shipped ]]; then shipped+=("$1"); else variants+=("$1"); fi; shift ;;
  esac
done

failures=0
fail() {
  echo "FAIL: $1" >&2
  failures=$((failures + 1))
}
# Says "ok: $1" when the section since `failures_before` failed nothing.
section_ok() {
  ((failures == failures_before)) && echo "ok: $1"
  failures_before=$failures
}
failures_before=0

# 1. Nothing shipped knows the variants. (Symbols are read whole before any
# grep: `nm | grep -q` under pipefail would fail on nm's SIGPIPE.)
for file in "${shipped[@]}"; do
  symbols=$(nm -C "$file" 2>/dev/null) || fail "nm cannot read $file"
  found=$(grep 'crashdrill::broken::' <<<"$symbols" | sort -u | head -3 || true)
  [[ -z $found ]] || fail "$file has crashdrill::broken symbols: ${found//$'\n'/; }"
done
section_ok "no crashdrill::broken symbol in ${shipped[*]##*/}"

# 2. Every broken branch is in a variant copy and calls Active() there.
calling=$(for a in "${variants[@]}"; do nm -C -A "$a" 2>/dev/null || true; done |
  grep ' U crashdrill::broken::Active' | sed -E 's/^[^:]*:([^:]*):.*/\1/' | sort -u || true)
branches=$(cd "$source_dir" && grep -rl --include='*.cc' --include='*.h' 'CRASHDRILL_BROKEN(' \
  system faults simulator scenarios reports | grep -v '^system/io/broken_variant\.h$' || true)
[[ -n $branches ]] || fail "no source of $source_dir uses CRASHDRILL_BROKEN("
for source in $branches; do
  if ! grep -qxF "$source_dir/$source" "$variant_sources"; then
    fail "$source has a broken branch but no variant copy compiles it (tests/broken/CMakeLists.txt)"
  elif ! grep -qxF "$(basename "$source").o" <<<"$calling"; then
    fail "$source: its object in the variant copies never calls crashdrill::broken::Active"
  fi
done
section_ok "the broken branches of $(echo $branches) are compiled into the variant copies"

# 3. One copy of the chain in the test binary: the variant one.
symbols=$(nm -C "$test_binary")
definitions=$(grep -c ' T crashdrill::broken::Active(' <<<"$symbols" || true)
[[ $definitions == 1 ]] || fail "$test_binary defines crashdrill::broken::Active $definitions times"
[[ -s $map ]] || fail "no link map at $map"
for archive in "${shipped[@]:1}"; do
  name=$(basename "$archive")
  members=$(grep -oE "(^|[/ ])${name//./\\.}\([^)]*\)" "$map" | sort -u | head -3 || true)
  [[ -z $members ]] || fail "$test_binary links objects of the normal $name: ${members//$'\n'/ }"
done
for archive in "${variants[@]}"; do
  name=$(basename "$archive")
  grep -qE "(^|[/ ])${name//./\\.}\(" "$map" || fail "$test_binary links nothing of $name"
done
section_ok "$(basename "$test_binary") links the variant copies only and defines Active() once"

if ((failures > 0)); then
  echo "check_isolation: $failures failure(s)" >&2
  exit 1
fi
