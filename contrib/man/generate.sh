#!/usr/bin/env bash
# Regenerates what contrib/ holds that is generated from the CLI definition: the manual pages
# (contrib/man/*.1) and the shell completions (contrib/completions/). The CLI tests fail while
# either is stale. Run from anywhere: contrib/man/generate.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
cargo build --quiet --bin bot-bottle
bin=$repo/target/debug/bot-bottle
rm -f contrib/man/*.1
"$bin" man --dir contrib/man
for shell in bash zsh fish; do
  "$bin" completions "$shell" >"contrib/completions/bot-bottle.$shell"
done
echo "regenerated contrib/man and contrib/completions" >&2
