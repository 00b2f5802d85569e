#!/bin/sh
# azd postdeploy hook (Linux, macOS; postdeploy.ps1 on Windows): once the ingest function is live it can answer Event
# Grid's validation handshake, so provision once more with the blob subscription (and without rebuilding the image).
set -eu
if [ "${DEPLOY_FUNCTIONS:-true}" = "true" ] && [ "${DEPLOY_BLOB_SUBSCRIPTION:-false}" != "true" ]; then
  command -v azd >/dev/null 2>&1 || { echo "postdeploy: azd is not on PATH" >&2; exit 1; }
  azd env set DEPLOY_BLOB_SUBSCRIPTION true
  SKIP_TRAINER_BUILD=true azd provision --no-prompt
fi
