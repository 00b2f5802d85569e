# azd postprovision hook (Windows; postprovision.sh does the same on Linux and macOS): builds the trainer image in the
# registry only when its sources changed (the tag is a hash of the build context) and points the GPU job at it.
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false

function Fail([string] $message) { [Console]::Error.WriteLine("postprovision: $message"); exit 1 }

# The provision nested in postdeploy only adds the Event Grid subscription: no image work.
if ($env:SKIP_TRAINER_BUILD -eq 'true') { exit 0 }

foreach ($name in 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_CONTAINER_REGISTRY_NAME', 'AZURE_CONTAINER_REGISTRY_ENDPOINT', 'TRAINER_JOB_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { Fail "$name is not in the azd environment; run this through 'azd provision' or 'azd up'" }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) { Fail 'the Azure CLI (az) is not installed; it builds the trainer image (https://aka.ms/installazurecli)' }
$subscription = $env:AZURE_SUBSCRIPTION_ID
az account show --subscription $subscription --only-show-errors *> $null
if ($LASTEXITCODE -ne 0) { Fail "the Azure CLI is not signed in to subscription $subscription; run 'az login' ('azd auth login' does not sign in az)" }

Set-Location (Join-Path $PSScriptRoot '../..')
$root = (Get-Location).Path

# The files the image is built from: the paths .dockerignore lets in, less host build outputs, and the Dockerfile.
$files = [Collections.Generic.List[string]]::new()
foreach ($path in Get-Content .dockerignore | Where-Object { $_.StartsWith('!') } | ForEach-Object { $_.Substring(1).TrimEnd() }) {
    if (Test-Path $path -PathType Leaf) { $files.Add($path) }
    elseif (Test-Path $path) {
        foreach ($file in Get-ChildItem $path -Recurse -File -Force) {
            $relative = [IO.Path]::GetRelativePath($root, $file.FullName).Replace('\', '/')
            if ($relative -notmatch '/(bin|obj|TestResults)/') { $files.Add($relative) }
        }
    }
}
$files.Add('infra/trainer.Dockerfile')
$sorted = $files.ToArray()
[Array]::Sort($sorted, [StringComparer]::Ordinal)
$list = -join ($sorted | ForEach-Object { '{0}  {1}' -f (Get-FileHash -Algorithm SHA256 -LiteralPath $_).Hash.ToLowerInvariant(), $_ } | ForEach-Object { "$_`n" })
$digest = [Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($list))
$tag = [Convert]::ToHexString($digest).ToLowerInvariant().Substring(0, 16)
$image = "$($env:AZURE_CONTAINER_REGISTRY_ENDPOINT)/trainer:$tag"

az acr repository show --subscription $subscription --name $env:AZURE_CONTAINER_REGISTRY_NAME --image "trainer:$tag" --only-show-errors *> $null
if ($LASTEXITCODE -eq 0) {
    Write-Host "postprovision: $image is in the registry already (trainer sources unchanged): not rebuilt"
} else {
    Write-Host "postprovision: building $image in $($env:AZURE_CONTAINER_REGISTRY_NAME) (several minutes: CUDA base image)"
    az acr build --subscription $subscription --registry $env:AZURE_CONTAINER_REGISTRY_NAME --image "trainer:$tag" --file infra/trainer.Dockerfile --only-show-errors .
    if ($LASTEXITCODE -ne 0) { Fail "az acr build failed ($LASTEXITCODE)" }
}

# TRAINER_IMAGE feeds main.bicep: when it already names this image, the provision that just ran set it on the job.
if ($env:TRAINER_IMAGE -ne $image) {
    # The containerapp extension installs itself without a prompt.
    $env:AZURE_EXTENSION_USE_DYNAMIC_INSTALL = 'yes_without_prompt'
    az containerapp job update --subscription $subscription --resource-group $env:AZURE_RESOURCE_GROUP --name $env:TRAINER_JOB_NAME --image $image --only-show-errors *> $null
    if ($LASTEXITCODE -ne 0) { Fail "az containerapp job update failed ($LASTEXITCODE)" }
    azd env set TRAINER_IMAGE $image
    if ($LASTEXITCODE -ne 0) { Fail "azd env set failed ($LASTEXITCODE)" }
    Write-Host "postprovision: $($env:TRAINER_JOB_NAME) now runs $image"
}
