#!/bin/sh
# Propose the newest Service Blueprint release as a pull (GitHub) or merge (GitLab) request.
#
# The scheduled workflow runs it when the repository opts in (the variable
# BLUEPRINT_UPDATES=true); it is safe to run by hand, and to run again: a branch and a
# request an earlier run made are updated, not duplicated.
#
#   scripts/template-update.sh github|gitlab
#
# Needs git (allowed to push to origin), uv, and the forge's CLI (gh or glab) logged in.
# BLUEPRINT overrides the command that runs the generator (the newest release's, from
# the template's source, by default).
set -eu

forge="${1:?usage: scripts/template-update.sh github|gitlab}"
source=$(sed -n 's/^_src_path: //p' .copier-answers.yml | tr -d "'\"")
case "$source" in
  gh:*) source="https://github.com/${source#gh:}" ;;
  gl:*) source="https://gitlab.com/${source#gl:}" ;;
  /*) source="file://$source" ;;
esac
latest=$(git ls-remote --tags --refs "$source" | sed 's|.*refs/tags/||' | sort -V | tail -n 1)
blueprint="${BLUEPRINT:-uvx --from git+$source@$latest blueprint}"

status=0
$blueprint check . > /dev/null || status=$?
if [ "$status" -eq 0 ]; then
  echo "current: nothing to propose"
  exit 0
elif [ "$status" -ne 5 ]; then
  echo "blueprint check failed (exit $status)" >&2
  exit "$status"
fi

# The update goes on blueprint/update-<version> and is pushed; its checks run in the
# request's own CI.
result=$($blueprint fleet update . --no-validate --push --json)
field() {
  printf '%s' "$result" | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['$1'] or '')"
}
outcome=$(field outcome)
branch=$(field branch)
body=$(field description)
case "$outcome" in
  updated | conflicts) ;;
  *)
    echo "not proposed: $outcome: $(field detail)" >&2
    [ "$outcome" = kept ] && exit 0
    exit 1
    ;;
esac
title="Update to Service Blueprint ${branch#blueprint/update-}"

if [ "$forge" = github ]; then
  if gh pr view "$branch" > /dev/null 2>&1; then
    gh pr edit "$branch" --title "$title" --body-file "$body"
  else
    gh pr create --head "$branch" --title "$title" --body-file "$body"
  fi
else
  if glab mr view "$branch" > /dev/null 2>&1; then
    glab mr update "$branch" --title "$title" --description "$(cat "$body")"
  else
    glab mr create --source-branch "$branch" --title "$title" --description "$(cat "$body")" --yes
  fi
fi
