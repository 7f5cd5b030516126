#!/usr/bin/env bash
# Offline plan diff: plan-diff.sh BASE_REF STACK [STACK...]
# Plans each stack at BASE_REF (in a git worktree with its own venv) and at the checked-out commit,
# then lists the resources added, removed and changed (inputs or protect differ), by URN.
# Written to the job summary when run in GitHub Actions. Informational: a base that fails to plan
# is reported, not fatal; the head plans must succeed.
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
  .venv/bin/python - "$stack" "build/diff/$stack/base/plan.json" "build/diff/$stack/head/plan.json" >> "$summary" <<'EOF'
import json
import sys

stack, base_file, head_file = sys.argv[1:4]


def load(path: str) -> dict[str, tuple[object, object]]:
    with open(path, encoding="utf-8") as f:
        resources = json.load(f)["deployment"]["resources"]
    return {r["urn"]: (r.get("inputs"), r.get("protect", False)) for r in resources}


base, head = load(base_file), load(head_file)
added = sorted(set(head) - set(base))
removed = sorted(set(base) - set(head))
changed = sorted(u for u in set(base) & set(head) if base[u] != head[u])
print(f"- `{stack}`: {len(added)} added, {len(removed)} removed, {len(changed)} changed ({len(head)} resources)")
for label, urns in (("added", added), ("removed", removed), ("changed", changed)):
    for urn in urns:
        print(f"  - {label}: `{urn}`")
EOF
done
git worktree remove --force build/base
