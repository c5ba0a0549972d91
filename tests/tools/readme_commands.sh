#!/usr/bin/env bash
# readme_commands.sh README - prints the README's two commands (the indented lines of its section
# "## The two commands", in order: the run command, then the test command), one per line. The one
# reader of them: tests/fresh/run.sh runs them in pristine roots, test_setup.sh checks them, .ci/run
# calls the same test command.
set -euo pipefail
awk '/^## /{sec=($0 ~ /^## The two commands/)} sec && /^    [^ ]/{sub(/^    /,""); print}' "${1:-README.md}"
