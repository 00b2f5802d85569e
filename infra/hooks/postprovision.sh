#!/bin/sh
# azd postprovision hook (Linux, macOS; postprovision.ps1 does the same on Windows): builds the trainer image in the
# registry only when its sources changed (the tag is a hash of the build context) and points the GPU job at it.
set -eu

fail() { echo "postprovision: $*" >&2; exit 1; }

# The provision nested in postdeploy only adds the Event Grid subscription: no image work.
if [ "${SKIP_TRAINER_BUILD:-false}" = "true" ]; then exit 0; fi

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_CONTAINER_REGISTRY_NAME AZURE_CONTAINER_REGISTRY_ENDPOINT TRAINER_JOB_NAME; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || fail "$name is not in the azd environment; run this through 'azd provision' or 'azd up'"
done
command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is not installed; it builds the trainer image (https://aka.ms/installazurecli)"
az account show --subscription "$AZURE_SUBSCRIPTION_ID" --only-show-errors >/dev/null 2>&1 \
  || fail "the Azure CLI is not signed in to subscription $AZURE_SUBSCRIPTION_ID; run 'az login' ('azd auth login' does not sign in az)"

cd "$(dirname "$0")/../.."

sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

# The files the image is built from: the paths .dockerignore lets in, less host build outputs, and the Dockerfile.
context_files() {
  sed -n 's/^!//p' .dockerignore | while IFS= read -r path; do
    if [ -e "$path" ]; then find "$path" -type f ! -path '*/bin/*' ! -path '*/obj/*' ! -path '*/TestResults/*'; fi
  done
  echo infra/trainer.Dockerfile
}
tag=$(context_files | LC_ALL=C sort | while IFS= read -r file; do sha256 "$file"; done | sha256 | cut -c1-16)
image="$AZURE_CONTAINER_REGISTRY_ENDPOINT/trainer:$tag"

if az acr repository show --subscription "$AZURE_SUBSCRIPTION_ID" --name "$AZURE_CONTAINER_REGISTRY_NAME" \
    --image "trainer:$tag" --only-show-errors >/dev/null 2>&1; then
  echo "postprovision: $image is in the registry already (trainer sources unchanged): not rebuilt"
else
  echo "postprovision: building $image in $AZURE_CONTAINER_REGISTRY_NAME (several minutes: CUDA base image)"
  az acr build --subscription "$AZURE_SUBSCRIPTION_ID" --registry "$AZURE_CONTAINER_REGISTRY_NAME" \
    --image "trainer:$tag" --file infra/trainer.Dockerfile --only-show-errors .
fi

# TRAINER_IMAGE feeds main.bicep: when it already names this image, the provision that just ran set it on the job.
if [ "${TRAINER_IMAGE:-}" != "$image" ]; then
  # The containerapp extension installs itself without a prompt.
  AZURE_EXTENSION_USE_DYNAMIC_INSTALL=yes_without_prompt az containerapp job update --subscription "$AZURE_SUBSCRIPTION_ID" \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$TRAINER_JOB_NAME" --image "$image" --only-show-errors >/dev/null
  azd env set TRAINER_IMAGE "$image"
  echo "postprovision: $TRAINER_JOB_NAME now runs $image"
fi
