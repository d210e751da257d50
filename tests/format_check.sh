#!/usr/bin/env bash
# Every C++ source is formatted with the root .clang-format.
set -u
root=${1:?usage: format_check.sh ROOT}
cd "$root" || exit 2
command -v clang-format >/dev/null || { echo "format check: clang-format not installed"; exit 1; }
files=$(git ls-files 'core/*.?pp' 'sim/*.?pp' 'adapters/*.?pp' 'apps/*.?pp' 'tests/*.?pp' 'bench/*.?pp' 2>/dev/null)
[ -n "$files" ] || files=$(find core sim adapters apps tests bench -name '*.?pp')
bad=$(for f in $files; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$bad" ]; then
  echo "format check: not formatted with .clang-format (run clang-format -i on them):"
  echo "$bad"
  exit 1
fi
echo "format check: $(echo "$files" | wc -w) files formatted"
