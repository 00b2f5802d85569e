# azd postdeploy hook (Windows; postdeploy.sh on Linux and macOS): once the ingest function is live it can answer Event
# Grid's validation handshake, so provision once more with the blob subscription (and without rebuilding the image).
$ErrorActionPreference = 'Stop'
$deployFunctions = if ($env:DEPLOY_FUNCTIONS) { $env:DEPLOY_FUNCTIONS } else { 'true' }
if ($deployFunctions -eq 'true' -and $env:DEPLOY_BLOB_SUBSCRIPTION -ne 'true') {
    azd env set DEPLOY_BLOB_SUBSCRIPTION true
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $env:SKIP_TRAINER_BUILD = 'true'
    azd provision --no-prompt
    exit $LASTEXITCODE
}
