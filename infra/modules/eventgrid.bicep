// Event Grid system topic on the storage account and the subscription that pushes BlobCreated events under
// incoming/ to the Functions blob extension's webhook (blob trigger with Source = EventGrid). Events it cannot deliver
// within a day go to a dead-letter container (written with the topic's own identity: shared keys are off), and an
// alert fires when that happens. Deployed after the function code (azure.yaml): the webhook answers validation then.
param location string
param tags object
param storageAccountName string
param functionAppName string

@description('Name of the blob-triggered ingest function (the [Function] attribute).')
param ingestFunctionName string

@description('Container for undeliverable events.')
param deadLetterContainer string

@description('Action group that alerts go to.')
param actionGroupId string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetters 'containers' existing = {
      name: deadLetterContainer
    }
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${storageAccountName}-events'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// The blobs extension's system key authenticates Event Grid to the webhook; it is read here and never output.
var webhookKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension

// The topic's identity writes dead-lettered events, to that one container only.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage::blobService::deadLetters
  name: guid(storage::blobService::deadLetters.id, topic.id, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: topic
  name: 'incoming-to-ingest'
  dependsOn: [ deadLetterWriter ]
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${ingestFunctionName}&code=${webhookKey}'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/incoming/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: { resourceId: storage.id, blobContainerName: deadLetterContainer }
      }
    }
  }
}

resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${topic.name}-dead-lettered'
  location: 'global'
  tags: tags
  properties: {
    description: 'A blob event under incoming/ could not be delivered to the ingest function: the file is in ${deadLetterContainer}/ and was not ingested (ingest it again with the command line).'
    severity: 2
    enabled: true
    scopes: [ topic.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered-events'
          metricNamespace: 'Microsoft.EventGrid/systemTopics'
          metricName: 'DeadLetteredCount'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [ { actionGroupId: actionGroupId } ]
  }
}

output topicName string = topic.name
