// Role assignments: every data-plane access in the pipeline is an Entra identity holding one of these roles.
// Ids are Azure's built-in role definition ids (stable across tenants).
param storageAccountName string
param serviceBusNamespaceName string
param queueName string
param registryName string
param appInsightsName string
param functionsIdentityName string
param trainerIdentityName string
param scalerIdentityName string

@description('Whether the Functions app (and so its identity\'s roles) is deployed.')
param deployFunctions bool

@description('Object id of the user or service principal that runs azd (AZURE_PRINCIPAL_ID); empty: no roles for it.')
param deployerPrincipalId string = ''

@description('Container whose blobs the trainer tags (checkpoints, for the lifecycle rule).')
param runsContainerName string

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: functionsIdentityName
}

resource trainerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: trainerIdentityName
}

resource scalerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: scalerIdentityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource runs 'containers' existing = {
      name: runsContainerName
    }
  }
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: queueName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Functions host: AzureWebJobsStorage (leases, blob receipts: Blob Data Owner), the pipeline containers and the
// queue used by the local transport (Queue Data Contributor), publishing requests (Sender).
resource functionsBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployFunctions) {
  scope: storage
  name: guid(storage.id, functionsIdentityName, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource functionsQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployFunctions) {
  scope: storage
  name: guid(storage.id, functionsIdentityName, roles.storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource functionsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployFunctions) {
  scope: queue
  name: guid(queue.id, functionsIdentityName, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource functionsTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployFunctions) {
  scope: appInsights
  name: guid(appInsights.id, functionsIdentityName, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionsIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Trainer: reads datasets and base models, writes runs and models (Blob Data Contributor), tags its checkpoints for
// the lifecycle rule (Blob Data Owner on the runs container only: tags need it), receives, abandons and
// dead-letters requests (Receiver; it sends none), pulls its image, exports telemetry. No storage queue role: in Azure
// the queue is Service Bus.
resource trainerBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, trainerIdentityName, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: trainerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource trainerRunsTags 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage::blobService::runs
  name: guid(storage::blobService::runs.id, trainerIdentityName, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: trainerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource trainerReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: queue
  name: guid(queue.id, trainerIdentityName, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: trainerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource trainerPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, trainerIdentityName, roles.acrPull)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: trainerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource trainerTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, trainerIdentityName, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: trainerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// KEDA's azure-servicebus scaler reads the queue's runtime properties, which needs Manage: Data Owner on this one
// queue only, held by an identity that no code runs as.
resource scalerOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: queue
  name: guid(queue.id, scalerIdentityName, roles.serviceBusDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: scalerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The person (or pipeline principal) running azd: uploads files and base models with `--auth-mode login`, reads runs,
// sends requests with `pipeline` and inspects or resubmits dead-lettered ones. No principalType: a user or a service
// principal alike.
resource deployerBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: storage
  name: guid(storage.id, deployerPrincipalId, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deployerPrincipalId
  }
}

resource deployerSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: queue
  name: guid(queue.id, deployerPrincipalId, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: deployerPrincipalId
  }
}

resource deployerReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: queue
  name: guid(queue.id, deployerPrincipalId, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: deployerPrincipalId
  }
}
