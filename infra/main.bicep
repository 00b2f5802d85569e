// The pipeline in Azure, for `azd up`: storage, Service Bus, the ingest Functions app, a GPU Container Apps job for
// the trainer with its work share, monitoring, alerts and a budget, role assignments and, optionally, a private
// network. No keys or connection strings between services: every hop is Entra ID (the work share's SMB mount aside).
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource. Pick one with GPU quota for the chosen profile (see infra/README.md).')
param location string

@description('GPU workload profile for the trainer: serverless Consumption-GPU-NC8as-T4 (default: the quota most subscriptions can get) / Consumption-GPU-NC24-A100, or dedicated NC24-A100 / NC48-A100 / NC96-A100.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
  'NC24-A100'
  'NC48-A100'
  'NC96-A100'
])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Service Bus queue the ingest function publishes training requests to.')
param queueName string = 'training-requests'

@description('Deploy the ingest Functions app (false: only the trainer side, fed by `pipeline` from a workstation).')
param deployFunctions bool = true

@description('Create the Event Grid subscription to the ingest function; true only once the function code is deployed (azure.yaml does this).')
param deployBlobSubscription bool = false

@description('Name of the blob-triggered ingest function.')
param ingestFunctionName string = 'IngestBlob'

@description('Trainer image; the postprovision hook builds it into the registry and sets TRAINER_IMAGE.')
param trainerImage string = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'

@description('CPU cores of one trainer replica; 0 takes the size that fits the GPU profile.')
param trainerCpu int = 0

@description('Memory of one trainer replica (e.g. 220Gi); empty takes the size that fits the GPU profile.')
param trainerMemory string = ''

@description('Longest one training run may take (seconds). Default 12 hours.')
param replicaTimeoutSeconds int = 43200

@description('Most training runs started per polling interval (and at once); each needs one GPU of quota.')
@minValue(1)
param maxConcurrentRuns int = 2

@description('Seconds between two looks at the queue by the job\'s scaler.')
@minValue(30)
param pollingIntervalSeconds int = 60

@description('Days old checkpoints are kept under runs/.')
param checkpointRetentionDays int = 14

@description('Size in GiB of the Azure Files share mounted at /work in the trainer (base-model cache, local checkpoints); 0: the replica\'s 8 GiB ephemeral disk instead.')
@minValue(0)
param workVolumeGiB int = 100

@description('E-mail address for alerts and budget notifications.')
@minLength(3)
param alertEmail string

@description('Monthly budget of the resource group, in the billing currency.')
@minValue(1)
param monthlyBudget int = 300

@description('First day of the budget (yyyy-MM-01), pinned once by the preprovision hook: Azure refuses to change it later.')
@minLength(10)
param budgetStartDate string

@description('Object id of whoever runs azd (AZURE_PRINCIPAL_ID): gets data roles to upload files and send requests.')
param principalId string = ''

@description('Client id of the Entra ID app registration for App Service Authentication on the Functions app (AUTH_CLIENT_ID); empty: every HTTP call answers 401 until it is set.')
param authClientId string = ''

@description('Private network: storage and Service Bus behind private endpoints, the Functions app and the job integrated (Service Bus becomes Premium).')
param vnetEnabled bool = false

@description('With vnetEnabled: public IP addresses or ranges that may still reach the pipeline storage (e.g. the uploading workstation).')
param allowedIpAddresses string[] = []

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var prefix = 'orpo-${token}'
var deploymentContainer = 'app-package'
var eventGridDeadLetterContainer = 'eventgrid-deadletter'
var workShareName = 'trainer-work'
// What one replica may use on each GPU profile (one GPU per replica on the NC24 / NC8as sizes).
var replicaSizes = {
  'Consumption-GPU-NC24-A100': { cpu: 24, memory: '220Gi' }
  'Consumption-GPU-NC8as-T4': { cpu: 8, memory: '56Gi' }
  'NC24-A100': { cpu: 22, memory: '200Gi' }
  'NC48-A100': { cpu: 44, memory: '400Gi' }
  'NC96-A100': { cpu: 88, memory: '800Gi' }
}
// Names are fixed at compile time so What-If can predict every resource and role assignment.
var names = {
  storage: 'st${token}'
  serviceBus: 'sb-${token}'
  registry: 'cr${token}'
  functionApp: 'func-${token}'
  workspace: '${prefix}-logs'
  appInsights: '${prefix}-appi'
  functionsIdentity: '${prefix}-id-functions'
  trainerIdentity: '${prefix}-id-trainer'
  scalerIdentity: '${prefix}-id-scaler'
  workShare: 'stw${token}'
  network: '${prefix}-vnet'
}

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identities 'modules/identities.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    functionsName: names.functionsIdentity
    trainerName: names.trainerIdentity
    scalerName: names.scalerIdentity
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: group
  params: { location: location, tags: tags, workspaceName: names.workspace, appInsightsName: names.appInsights }
}

module storage 'modules/storage.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    name: names.storage
    checkpointRetentionDays: checkpointRetentionDays
    extraContainers: deployFunctions ? [ deploymentContainer ] : []
    eventGridDeadLetterContainer: eventGridDeadLetterContainer
    vnetEnabled: vnetEnabled
    allowedIpAddresses: allowedIpAddresses
  }
}

module workShare 'modules/workshare.bicep' = if (workVolumeGiB > 0) {
  scope: group
  params: {
    location: location
    tags: tags
    name: names.workShare
    shareName: workShareName
    quotaGiB: max(workVolumeGiB, 1)
    vnetEnabled: vnetEnabled
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  scope: group
  params: { location: location, tags: tags, name: names.serviceBus, queueName: queueName, vnetEnabled: vnetEnabled }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  scope: group
  dependsOn: [ storage, workShare, serviceBus ]
  params: {
    location: location
    tags: tags
    name: names.network
    storageAccountName: names.storage
    workShareAccountName: names.workShare
    serviceBusNamespaceName: names.serviceBus
  }
}

module alerts 'modules/alerts.bicep' = {
  scope: group
  dependsOn: [ serviceBus, monitoring ]
  params: {
    location: location
    tags: tags
    namePrefix: prefix
    alertEmail: alertEmail
    serviceBusNamespaceName: names.serviceBus
    queueName: queueName
    appInsightsName: names.appInsights
  }
}

module budget 'modules/budget.bicep' = {
  scope: group
  params: {
    namePrefix: prefix
    amount: monthlyBudget
    startDate: budgetStartDate
    alertEmail: alertEmail
    actionGroupId: alerts.outputs.actionGroupId
  }
}

module registry 'modules/registry.bicep' = {
  scope: group
  params: { location: location, tags: tags, name: names.registry }
}

module roles 'modules/roles.bicep' = {
  scope: group
  dependsOn: [ identities, storage, serviceBus, registry, monitoring ]
  params: {
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    queueName: queueName
    registryName: names.registry
    appInsightsName: names.appInsights
    functionsIdentityName: names.functionsIdentity
    trainerIdentityName: names.trainerIdentity
    scalerIdentityName: names.scalerIdentity
    deployFunctions: deployFunctions
    deployerPrincipalId: principalId
    runsContainerName: 'runs'
  }
}

module functions 'modules/functions.bicep' = if (deployFunctions) {
  scope: group
  dependsOn: [ roles ]
  params: {
    location: location
    tags: tags
    name: names.functionApp
    identityId: identities.outputs.functionsId
    identityClientId: identities.outputs.functionsClientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainer: deploymentContainer
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    queueName: serviceBus.outputs.queueName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    subnetId: vnetEnabled ? network!.outputs.functionsSubnetId : ''
    authClientId: authClientId
  }
}

module blobEvents 'modules/eventgrid.bicep' = if (deployFunctions && deployBlobSubscription) {
  scope: group
  dependsOn: [ functions ]
  params: {
    location: location
    tags: tags
    storageAccountName: names.storage
    functionAppName: names.functionApp
    ingestFunctionName: ingestFunctionName
    deadLetterContainer: eventGridDeadLetterContainer
    actionGroupId: alerts.outputs.actionGroupId
  }
}

module containerApps 'modules/containerapps.bicep' = {
  scope: group
  dependsOn: [ roles, workShare ]
  params: {
    location: location
    tags: tags
    namePrefix: prefix
    logAnalyticsWorkspaceName: names.workspace
    gpuProfileType: gpuProfileType
    gpuMaximumNodes: maxConcurrentRuns
    trainerImage: trainerImage
    trainerIdentityId: identities.outputs.trainerId
    trainerClientId: identities.outputs.trainerClientId
    scalerIdentityId: identities.outputs.scalerId
    registryLoginServer: registry.outputs.loginServer
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    queueName: serviceBus.outputs.queueName
    blobEndpoint: storage.outputs.blobEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    trainerCpu: trainerCpu > 0 ? trainerCpu : replicaSizes[gpuProfileType].cpu
    trainerMemory: empty(trainerMemory) ? replicaSizes[gpuProfileType].memory : trainerMemory
    replicaTimeoutSeconds: replicaTimeoutSeconds
    maxExecutions: maxConcurrentRuns
    pollingIntervalSeconds: pollingIntervalSeconds
    workShareAccountName: workVolumeGiB > 0 ? names.workShare : ''
    workShareName: workShareName
    subnetId: vnetEnabled ? network!.outputs.jobsSubnetId : ''
  }
}

// Read by azd (and its hooks) as environment values.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output SERVICEBUS_QUEUE string = serviceBus.outputs.queueName
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output TRAINER_JOB_NAME string = containerApps.outputs.jobName
output FUNCTION_APP_NAME string = deployFunctions ? functions!.outputs.name : ''
