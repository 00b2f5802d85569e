// Service Bus namespace (Entra-only, TLS 1.2) and the training-requests queue. Standard tier: duplicate detection
// turns the publisher's deterministic MessageId (the request id) into an exactly-once enqueue. With a private network
// the namespace is Premium (the tier that takes private endpoints) and closed to the internet.
param location string
param tags object
param name string
param queueName string

@description('Peek-lock duration; the trainer renews the lock for the length of a run (5 minutes is the maximum).')
param lockDuration string = 'PT5M'

@description('Deliveries before a message is dead-lettered (a crashing run is retried this many times).')
@minValue(1)
param maxDeliveryCount int = 5

@description('Window in which a repeated request id is dropped as a duplicate.')
param duplicateDetectionWindow string = 'P1D'

@description('How long an unprocessed request waits before it moves to the dead-letter queue.')
param messageTimeToLive string = 'P14D'

@description('Private network: Premium tier behind a private endpoint (network.bicep), no public access.')
param vnetEnabled bool = false

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: vnetEnabled ? { name: 'Premium', tier: 'Premium', capacity: 1 } : { name: 'Standard', tier: 'Standard' }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    lockDuration: lockDuration
    maxDeliveryCount: maxDeliveryCount
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: messageTimeToLive
    requiresSession: false
    enablePartitioning: false
  }
}

output namespaceName string = namespace.name
output namespaceId string = namespace.id
output queueId string = queue.id
output queueName string = queue.name
// serviceBusEndpoint is https://{name}.servicebus.{cloud suffix}:443/; clients want the bare host name.
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
