// The ingest Functions app on Flex Consumption (.NET isolated). Every connection is identity-based: the host's
// AzureWebJobsStorage, the deployment package container and the pipeline's own clients use the user-assigned identity.
param location string
param tags object
param name string
param identityId string
param identityClientId string
param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainer string
param serviceBusNamespace string
param queueName string
param appInsightsConnectionString string

@description('Most instances Flex Consumption may scale out to.')
@minValue(1)
param maximumInstanceCount int = 40

@allowed([ 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Subnet for outbound virtual network integration (VNET_ENABLED); empty: none.')
param subnetId string = ''

@description('Bytes above which the HTTP upload answers with a direct-upload SAS instead of taking the body (the host\'s request limit is 100 MiB).')
param directUploadAboveBytes int = 104857600

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage: identity-based (no AzureWebJobsStorage connection string).
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // The blob trigger's connection ("PipelineStorage") for incoming/, with Event Grid as its source.
      PipelineStorage__blobServiceUri: blobEndpoint
      PipelineStorage__queueServiceUri: queueEndpoint
      PipelineStorage__tableServiceUri: tableEndpoint
      PipelineStorage__credential: 'managedidentity'
      PipelineStorage__clientId: identityClientId
      // Training requests go to Service Bus with the same identity.
      Queue__Transport: 'ServiceBus'
      Queue__FullyQualifiedNamespace: serviceBusNamespace
      Queue__QueueName: queueName
      AZURE_CLIENT_ID: identityClientId
      // The host and the isolated worker both export to Application Insights with this identity (local auth is off).
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // Larger uploads get a short-lived user-delegation SAS for a direct blob upload (UploadFileFunction).
      Upload__DirectUploadAboveBytes: string(directUploadAboveBytes)
    }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
