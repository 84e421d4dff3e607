#!/bin/sh
# Installs cfn-lint (pinned) into the project's .venv when it is missing; `npm test` runs this first.
set -eu
cd "$(dirname "$0")/.."
VERSION=1.51.0
if [ -x .venv/bin/cfn-lint ] && .venv/bin/cfn-lint --version 2>/dev/null | grep -q "$VERSION"; then exit 0; fi
# Already on the PATH at this version: the test falls back to it.
if command -v cfn-lint >/dev/null && cfn-lint --version 2>/dev/null | grep -q "$VERSION"; then exit 0; fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "cfn-lint==$VERSION"
