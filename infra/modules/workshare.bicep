// The trainer's work volume: an Azure Files share mounted at /work in every execution (base-model cache and local
// checkpoints outgrow a replica's 8 GiB of ephemeral disk). Container Apps mounts Azure Files over SMB with the
// account key only, so the share lives in an account of its own: the pipeline's account keeps shared keys off.
param location string
param tags object

@minLength(3)
@maxLength(24)
param name string

@description('Name of the file share.')
param shareName string

@description('Size of the share in GiB.')
@minValue(1)
param quotaGiB int

@description('Private network: the share is reached through a private endpoint (network.bicep), not the internet.')
param vnetEnabled bool = false

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // SMB mounts from Container Apps authenticate with the account key; nothing but scratch data lives here.
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource files 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: files
  name: shareName
  properties: {
    shareQuota: quotaGiB
    enabledProtocols: 'SMB'
  }
}

output name string = account.name
output id string = account.id
output shareName string = share.name
