#!/bin/sh
# azd predeploy hook (Linux, macOS; predeploy.ps1 on Windows): with DEPLOY_FUNCTIONS=false there is no Functions app to
# deploy to, and azure.yaml cannot leave its service out; stop with what to run instead.
set -eu
if [ "${DEPLOY_FUNCTIONS:-true}" = "false" ]; then
  echo "predeploy: DEPLOY_FUNCTIONS=false: this environment has no Functions app to deploy. Use 'azd provision' (it builds and deploys the trainer image); 'azd up' and 'azd deploy' are for DEPLOY_FUNCTIONS=true." >&2
  exit 1
fi
