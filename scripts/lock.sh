#!/bin/sh
# `make lock`: re-pin the two lock files from pyproject.toml with pip-tools,
# installed in a throwaway venv (removed afterwards):
#   requirements.txt      production: [project] dependencies and what they pull in
#   requirements-dev.txt  the dev and bench extras (tests, linters, honcho, charts), on top of requirements.txt
#                         (`-r requirements.txt`, and resolved with it as constraints,
#                         so both files always agree on shared packages)
# Pins already in the files are kept while they still fit; pass pip-compile
# options to change that, e.g. `make lock LOCK_ARGS=--upgrade` or
# `make lock LOCK_ARGS="-P django"`. No index or find-links line is written:
# where packages come from is each machine's pip configuration, not the project's.
set -eu
cd "$(dirname "$0")/.."

tools=$(mktemp -d /tmp/pip-tools.XXXXXX)
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3}" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --upgrade pip pip-tools

compile() {
  # shellcheck disable=SC2086 # LOCK_ARGS is a list of options
  CUSTOM_COMPILE_COMMAND="make lock" "$tools/bin/pip-compile" --quiet --strip-extras \
    --no-emit-options --no-emit-index-url --no-emit-find-links --no-emit-trusted-host ${LOCK_ARGS:-} "$@"
}
strip_index_lines() {
  sed -i -E '/^[[:space:]]*(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|--no-index)([[:space:]=]|$)/d' "$1"
}

compile --output-file=requirements.txt pyproject.toml
strip_index_lines requirements.txt

# The dev extra alone, read from stdin, with requirements.txt as constraints:
# the output lists only what the tools add, then gets `-r requirements.txt`.
"$tools/bin/python" -c '
import tomllib
with open("pyproject.toml", "rb") as f:
    extras = tomllib.load(f)["project"]["optional-dependencies"]
print(*extras["dev"], *extras["bench"], sep="\n")
' | compile --constraint=requirements.txt --output-file=requirements-dev.txt -
strip_index_lines requirements-dev.txt
sed -i -e 's/-r -$/strategy-discussions[dev,bench] (pyproject.toml)/' requirements-dev.txt
awk 'done || /^#/ { print; next } { print "-r requirements.txt"; print ""; done = 1; print }
  END { if (!done) print "-r requirements.txt" }' \
  requirements-dev.txt >"$tools/dev.txt"
cat "$tools/dev.txt" >requirements-dev.txt
echo "requirements.txt and requirements-dev.txt re-pinned"
