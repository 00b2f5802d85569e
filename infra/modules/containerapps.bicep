// Container Apps environment with a GPU workload profile and the trainer as an event-driven job: KEDA's
// azure-servicebus scaler starts one execution per queued request; each execution trains one run and exits. The work
// volume (/work: base-model cache, local checkpoints) is an Azure Files share, or the replica's ephemeral disk.
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
param appInsightsConnectionString string

@description('CPU cores of one trainer replica (the NC24-A100 profile offers 24).')
param trainerCpu int

@description('Memory of one trainer replica, e.g. 220Gi on NC24-A100, 56Gi on NC8as-T4.')
param trainerMemory string

@description('Longest a single training run may take, in seconds, before the execution is stopped (it resumes from its last checkpoint on redelivery).')
@minValue(600)
param replicaTimeoutSeconds int

@description('Most executions (runs) started for one polling of the queue; bounded by GPU quota.')
@minValue(1)
param maxExecutions int

@description('Seconds between two looks at the queue; with maxExecutions it caps how fast a failing image can start executions.')
@minValue(30)
param pollingIntervalSeconds int

@description('Storage account of the work share (workshare.bicep); empty: the replica\'s ephemeral disk (8 GiB) instead.')
param workShareAccountName string

@description('File share mounted at /work.')
param workShareName string

@description('Infrastructure subnet (VNET_ENABLED); empty: no virtual network.')
param subnetId string = ''

@description('How long an execution waits for a request before it exits: KEDA may start one for a message another execution took.')
param idleStopAfter string = '00:02:00'

var useWorkShare = !empty(workShareAccountName)

resource workShareAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = if (useWorkShare) {
  name: workShareAccountName
}

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
    vnetConfiguration: empty(subnetId) ? null : { infrastructureSubnetId: subnetId, internal: false }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      gpuProfile
    ]
  }
}

// Container Apps mounts Azure Files over SMB with the account key: read here, stored as the environment's secret,
// never output. The account holds only this scratch share (the pipeline's own account keeps shared keys off).
resource workStorage 'Microsoft.App/managedEnvironments/storages@2025-07-01' = if (useWorkShare) {
  parent: environment
  name: 'work'
  properties: {
    azureFile: {
      accountName: workShareAccountName
      accountKey: workShareAccount!.listKeys().keys[0].value
      shareName: workShareName
      accessMode: 'ReadWrite'
    }
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
          // At most maxExecutions new executions per polling interval: a broken image (which exits at once, see
          // WorkerHost) costs a few GPU-seconds a minute, not a stream of starts.
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: pollingIntervalSeconds
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
          // The worker writes only under /work (runs and cache below); tests/Pipeline.Infra.Tests checks the paths agree.
          volumeMounts: [ { volumeName: 'work', mountPath: '/work' } ]
          env: [
            { name: 'AZURE_CLIENT_ID', value: trainerClientId }
            { name: 'Queue__Transport', value: 'ServiceBus' }
            { name: 'Queue__FullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
            { name: 'Queue__QueueName', value: queueName }
            { name: 'Worker__MaxRuns', value: '1' }
            { name: 'Worker__IdleStopAfter', value: idleStopAfter }
            { name: 'Worker__WorkDirectory', value: '/work/runs' }
            { name: 'Worker__CacheDirectory', value: '/work/cache' }
            { name: 'Storage__BlobServiceUri', value: blobEndpoint }
            { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
          ]
        }
      ]
      volumes: [
        {
          name: 'work'
          storageType: useWorkShare ? 'AzureFile' : 'EmptyDir'
          storageName: useWorkShare ? workStorage.name : null
          // SMB files belong to the image's non-root user (infra/trainer.Dockerfile: uid/gid 10001).
          mountOptions: useWorkShare ? 'uid=10001,gid=10001,dir_mode=0750,file_mode=0640,mfsymlinks,nobrl,cache=strict' : null
        }
      ]
    }
  }
}

output environmentName string = environment.name
output environmentId string = environment.id
output jobName string = trainer.name
