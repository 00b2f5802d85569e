# azd predeploy hook (Windows; predeploy.sh on Linux and macOS): with DEPLOY_FUNCTIONS=false there is no Functions app to
# deploy to, and azure.yaml cannot leave its service out; stop with what to run instead.
if ($env:DEPLOY_FUNCTIONS -eq 'false') {
    [Console]::Error.WriteLine("predeploy: DEPLOY_FUNCTIONS=false: this environment has no Functions app to deploy. Use 'azd provision' (it builds and deploys the trainer image); 'azd up' and 'azd deploy' are for DEPLOY_FUNCTIONS=true.")
    exit 1
}
