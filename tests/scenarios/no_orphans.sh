#!/usr/bin/env bash
# The suite's orphan check (CTest fixture "crashdrill_processes" cleanup: it
# runs after every test that starts the crashdrill binary or a crash
# filesystem). Fails, naming them, if any crashdrill process of this build
# tree or any crashfs mount is left.
set -euo pipefail
binary=${1:?usage: no_orphans.sh CRASHDRILL_BINARY}
binary=$(readlink -f "$binary")
left=""
for exe in /proc/[0-9]*/exe; do
  pid=${exe#/proc/}; pid=${pid%/exe}
  [[ "$(readlink "$exe" 2>/dev/null)" == "$binary" ]] || continue
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ "$state" == "Z" || -z "$state" ]] && continue
  left+="pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"$'\n'
done
mounts=$(grep -E '(^|[ /])crashfs|fuse\.crashdrill' /proc/mounts || true)
if [[ -n "$left" || -n "$mounts" ]]; then
  echo "left behind by the suite:"
  [[ -z "$left" ]] || echo "$left"
  [[ -z "$mounts" ]] || echo "$mounts"
  exit 1
fi
echo "no crashdrill process and no crashfs mount left"
