// Container Apps environment with a GPU workload profile and the trainer as an event-driven job: KEDA's
// azure-servicebus scaler starts one execution per queued request; each execution trains one run and exits.
param location string
param tags object
param namePrefix string
param logAnalyticsWorkspaceName string

@description('GPU workload profile type: serverless (Consumption-GPU-NC24-A100, Consumption-GPU-NC8as-T4) or dedicated (NC24-A100, NC48-A100, NC96-A100).')
param gpuProfileType string

@description('Most GPU nodes for a dedicated profile (ignored for serverless GPU).')
@minValue(1)
param gpuMaximumNodes int

param trainerImage string
param trainerIdentityId string
param trainerClientId string
param scalerIdentityId string
param registryLoginServer string
param serviceBusNamespaceName string
param serviceBusFullyQualifiedNamespace string
param queueName string
param blobEndpoint string
param queueEndpoint string
param appInsightsConnectionString string

@description('CPU cores of one trainer replica (the NC24-A100 profile offers 24).')
param trainerCpu int

@description('Memory of one trainer replica, e.g. 220Gi on NC24-A100, 56Gi on NC8as-T4.')
param trainerMemory string

@description('Longest a single training run may take, in seconds, before the execution is stopped (it resumes from its last checkpoint on redelivery).')
@minValue(600)
param replicaTimeoutSeconds int

@description('Most executions (runs) at once; bounded by GPU quota.')
@minValue(1)
param maxExecutions int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

var gpuProfileName = 'gpu'
var serverlessGpu = startsWith(gpuProfileType, 'Consumption-')
var gpuProfile = serverlessGpu
  ? { name: gpuProfileName, workloadProfileType: gpuProfileType }
  : { name: gpuProfileName, workloadProfileType: gpuProfileType, minimumCount: 0, maximumCount: gpuMaximumNodes }

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: '${namePrefix}-cae'
  location: location
  tags: tags
  properties: {
    // Logs go through Azure Monitor diagnostic settings (below), so no workspace key is handed to the environment.
    appLogsConfiguration: { destination: 'azure-monitor' }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      gpuProfile
    ]
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: environment
  name: 'to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource trainer 'Microsoft.App/jobs@2025-07-01' = {
  name: '${namePrefix}-trainer'
  location: location
  tags: union(tags, { 'azd-service-name': 'trainer' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${trainerIdentityId}': {}
      '${scalerIdentityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: gpuProfileName
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeoutSeconds
      // A failed execution is not retried by the platform: the message is abandoned and Service Bus redelivers it
      // (up to maxDeliveryCount), and the run resumes from its checkpoint.
      replicaRetryLimit: 0
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: 30
          rules: [
            {
              name: 'training-requests'
              type: 'azure-servicebus'
              metadata: {
                namespace: serviceBusNamespaceName
                queueName: queueName
                messageCount: '1'
              }
              identity: scalerIdentityId
            }
          ]
        }
      }
      registries: [
        { server: registryLoginServer, identity: trainerIdentityId }
      ]
    }
    template: {
      containers: [
        {
          name: 'trainer'
          image: trainerImage
          resources: { cpu: trainerCpu, memory: trainerMemory }
          env: [
            { name: 'AZURE_CLIENT_ID', value: trainerClientId }
            { name: 'Worker__Transport', value: 'ServiceBus' }
            { name: 'Worker__MaxRuns', value: '1' }
            { name: 'ServiceBus__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
            { name: 'ServiceBus__queueName', value: queueName }
            { name: 'Storage__blobServiceUri', value: blobEndpoint }
            { name: 'Storage__queueServiceUri', value: queueEndpoint }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
          ]
        }
      ]
    }
  }
}

output environmentName string = environment.name
output environmentId string = environment.id
output jobName string = trainer.name
