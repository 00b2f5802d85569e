// The pipeline's storage account: the container layout of DESIGN.md, Entra-only access (no shared keys), no public
// blobs, TLS 1.2, versioning and soft delete so nothing is lost, and a lifecycle rule for old checkpoints.
param location string
param tags object

@minLength(3)
@maxLength(24)
param name string

@description('Days after which checkpoint blobs under runs/ (index tag kind=checkpoint) are deleted.')
@minValue(1)
param checkpointRetentionDays int

@description('Days deleted blobs and containers can be restored.')
@minValue(1)
param softDeleteDays int = 14

@description('Extra containers, e.g. the Functions deployment package container.')
param extraContainers string[] = []

@description('Private network: the data plane is reached through private endpoints (and allowedIpAddresses), not the internet.')
param vnetEnabled bool = false

@description('Public IP addresses (or CIDR ranges) let through when vnetEnabled, e.g. the workstation that uploads files.')
param allowedIpAddresses string[] = []

@description('Container that receives blob events Event Grid could not deliver.')
param eventGridDeadLetterContainer string

var pipelineContainers = [
  'incoming'
  'datasets'
  'quarantine'
  'runs'
  'models'
  'config'
  'base-models'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
      ipRules: [for ip in (vnetEnabled ? allowedIpAddresses : []): { value: ip, action: 'Allow' }]
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: softDeleteDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteDays }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in concat(pipelineContainers, [ eventGridDeadLetterContainer ], extraContainers): {
    parent: blobs
    name: container
    properties: { publicAccess: 'None' }
  }
]

// Checkpoints are large and only needed to resume: CheckpointStore (trainer/Pipeline.Worker) writes the index tag
// kind=checkpoint on every checkpoint blob, so status, metrics and reports under runs/ are kept. Lifecycle prefixes
// cannot match runs/{target}/{runId}/checkpoints/ (no wildcards), hence the tag. Writing tags needs Storage Blob Data
// Owner, which the trainer holds on the runs container only (roles.bicep).
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-old-checkpoints'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [ 'runs/' ]
              blobIndexMatch: [ { name: 'kind', op: '==', value: 'checkpoint' } ]
            }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: checkpointRetentionDays } }
            }
          }
        }
        {
          // With versioning on, a deleted checkpoint lives on as a previous version: expire those under runs/ too.
          // Current blobs (status, metrics, reports) are never touched by this rule.
          name: 'expire-old-versions-under-runs'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [ 'runs/' ]
            }
            actions: {
              version: { delete: { daysAfterCreationGreaterThan: checkpointRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
