#!/usr/bin/env bash
# Packs every published package once (`npm pack` runs its prepack build) and lints the tarball
# as npm would publish it: publint --strict (package.json fields, exports, files) and
# @arethetypeswrong/cli (types for import and require under node10, node16 and bundlers; the
# same as `attw --pack`, without packing twice). Exits 1 naming each package that fails.
set -uo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=()
for dir in packages/core packages/prisma-extension packages/sequelize-hooks packages/mikro-orm; do
  tarball="$(cd "$dir" && npm pack --silent --pack-destination "$out" | tail -n 1)" || { failed+=("$dir: npm pack"); continue; }
  echo "-- $dir ($tarball)"
  npx --no-install publint run "$out/$tarball" --strict || failed+=("$dir: publint --strict")
  npx --no-install attw "$out/$tarball" --format table-flipped --no-color || failed+=("$dir: attw")
done
for failure in "${failed[@]}"; do echo "failed: $failure"; done
[ "${#failed[@]}" = 0 ]
