// Event Grid system topic on the storage account and the subscription that pushes BlobCreated events under
// incoming/ to the Functions blob extension's webhook (blob trigger with Source = EventGrid).
// Deployed after the function code (see azure.yaml): the webhook answers Event Grid's validation only then.
param location string
param tags object
param storageAccountName string
param functionAppName string

@description('Name of the blob-triggered ingest function (the [Function] attribute).')
param ingestFunctionName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${storageAccountName}-events'
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// The blobs extension's system key authenticates Event Grid to the webhook; it is read here and never output.
var webhookKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: topic
  name: 'incoming-to-ingest'
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
  }
}

output topicName string = topic.name
