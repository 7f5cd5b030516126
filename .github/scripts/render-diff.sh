#!/usr/bin/env bash
# Rendered diff: render-diff.sh BASE_REF STACK [STACK...]
# Renders every Helm release of each stack with its pinned chart at BASE_REF (a git worktree with its
# own venv) and at the checked-out commit, checks the change's rendered objects with the policy pack
# (infra check --render: that part is fatal), and writes what `helm diff` would show, per release, to
# the job summary. A base that cannot render is reported, not fatal. Charts come from CHARTS_DIR when
# set, else the cache, else their repositories (the network is there in CI).
set -euo pipefail

base_ref="$1"
shift
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
charts=()
if [[ -n "${CHARTS_DIR:-}" ]]; then charts=(--charts-dir "$CHARTS_DIR"); fi

rm -rf build/render-base build/render-diff
git worktree add --detach build/render-base "$base_ref" >/dev/null
(cd build/render-base && make setup >/dev/null)

echo "## Rendered diff against ${base_ref}" >> "$summary"
status=0
for stack in "$@"; do
  head="build/render-diff/$stack/change"
  base="build/render-diff/$stack/base"
  .venv/bin/infra render --stack "$stack" "${charts[@]}" --out "$head" || status=1
  .venv/bin/infra check --stack "$stack" --out "build/render-diff/$stack/plan" --rendered "$head" > "build/render-diff/$stack/check.txt" || status=1
  if (cd build/render-base && .venv/bin/infra --help | grep -q " render "); then
    (cd build/render-base && .venv/bin/infra render --stack "$stack" "${charts[@]}" --out "../render-diff/$stack/base" >/dev/null) \
      || echo "- \`$stack\`: the base does not render cleanly (diff against what it rendered)" >> "$summary"
  else
    echo "- \`$stack\`: the base has no infra render (every object shows as added)" >> "$summary"
    mkdir -p "$base"
  fi
  .venv/bin/python -m tools.render.diff "$base" "$head" --title "$stack" >> "$summary"
  tail -n 1 "build/render-diff/$stack/check.txt" | sed "s/^/- \`$stack\` rendered check: /" >> "$summary"
done
git worktree remove --force build/render-base
exit "$status"
