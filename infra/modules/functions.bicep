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

@description('Client id of the Entra ID app registration that signs callers in (App Service Authentication); its app roles and the callers\' groups are what a target profile\'s access section names. Empty: authentication stays off and every HTTP call answers 401.')
param authClientId string = ''

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

  // App Service Authentication signs callers in with Entra ID and hands the functions their claims; requests without a
  // caller still reach the functions (they answer 401 themselves, and Event Grid's webhook to the blob trigger passes).
  resource auth 'config' = if (!empty(authClientId)) {
    name: 'authsettingsV2'
    properties: {
      platform: { enabled: true }
      globalValidation: { requireAuthentication: false, unauthenticatedClientAction: 'AllowAnonymous' }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: authClientId
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          }
          validation: { allowedAudiences: [ 'api://${authClientId}', authClientId ] }
        }
      }
    }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
