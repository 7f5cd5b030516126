#!/usr/bin/env bash
# Offline plan diff: plan-diff.sh BASE_REF STACK [STACK...]
# Plans each stack at BASE_REF (in a git worktree with its own venv) and at the checked-out commit,
# then writes to the job summary, per stack, `infra diff --format markdown` of the base plan against
# the change's (added, removed, changed input paths, replacements with stateful ones first, the cost
# delta) and the change's policy results (`infra check`). Informational: a base that fails to plan is
# reported, not fatal; the head plans must succeed.
set -euo pipefail

base_ref="$1"
shift
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"

rm -rf build/base build/diff
git worktree add --detach build/base "$base_ref" >/dev/null
(cd build/base && make setup >/dev/null)

echo "## Offline plan diff against ${base_ref}" >> "$summary"
for stack in "$@"; do
  .venv/bin/infra plan --stack "$stack" --out "build/diff/$stack/head" --quiet
  if ! (cd build/base && .venv/bin/infra plan --stack "$stack" --out "../diff/$stack/base" --quiet); then
    echo "- \`$stack\`: the base does not plan" >> "$summary"
    continue
  fi
  .venv/bin/infra diff "build/diff/$stack/base/plan.json" "build/diff/$stack/head/plan.json" \
    --format markdown --title "\`$stack\`: ${base_ref} -> this change" >> "$summary"
  {
    echo "Policy results of \`$stack\` (this change):"
    echo '```'
    .venv/bin/infra check --plan "build/diff/$stack/head/plan.json" || true
    echo '```'
  } >> "$summary"
done
git worktree remove --force build/base
