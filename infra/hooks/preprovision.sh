#!/bin/sh
# azd preprovision hook (Linux, macOS; preprovision.ps1 on Windows): pins the budget's start month in the azd
# environment the first time, since Azure refuses to change a budget's start date once it exists.
set -eu
if [ -z "${BUDGET_START_DATE:-}" ]; then
  command -v azd >/dev/null 2>&1 || { echo "preprovision: azd is not on PATH" >&2; exit 1; }
  azd env set BUDGET_START_DATE "$(date -u +%Y-%m-01)"
fi
