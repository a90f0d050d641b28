#!/usr/bin/env bash
# Records the contracts of a release as a buf image, the baseline `buf breaking` checks
# against in CI (.ci/run). Run it when cutting a release, then commit the image:
#   scripts/contracts-baseline.sh v0.2.0          # from the working tree's proto/
#   scripts/contracts-baseline.sh v0.1.0 main     # from a git ref (a tag, once there are tags)
# and point .ci/run at the new file.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/contracts-baseline.sh <version, e.g. v0.2.0> [git ref]}"
ref="${2:-}"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "version must look like v1.2.3, got '$version'" >&2; exit 2; }
out="proto/releases/$version.binpb"
buf="node_modules/.bin/buf"
mkdir -p proto/releases

if [ -z "$ref" ]; then
  "$buf" build proto --exclude-source-info -o "$out"
else
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  git archive "$ref" proto | tar -x -C "$scratch"
  # The ref's protos only: a baseline never contains an older baseline.
  rm -rf "$scratch/proto/releases"
  "$buf" build "$scratch/proto" --exclude-source-info -o "$out"
fi
echo "wrote $out; commit it and run: buf breaking proto --against $out"
