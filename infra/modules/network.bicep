// The optional private network (VNET_ENABLED, as Azure's Flex Consumption templates do): one virtual network with a
// subnet for the Functions app's outbound integration, one for the Container Apps environment, and one for private
// endpoints of the pipeline's storage (blob, queue, table), the work share (file) and Service Bus, with their
// private DNS zones linked to the network so the same host names resolve to private addresses inside it.
param location string
param tags object
param name string
param storageAccountName string
param workShareAccountName string
param serviceBusNamespaceName string

@description('Address space of the network; the subnets below are carved from it.')
param addressPrefix string = '10.20.0.0/16'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource workShare 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: workShareAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [ addressPrefix ] }
    subnets: [
      {
        // Flex Consumption's virtual network integration: delegated to Microsoft.App/environments.
        name: 'functions'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          delegations: [ { name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } } ]
        }
      }
      {
        // A workload-profiles Container Apps environment needs at least a /27, delegated to Microsoft.App/environments.
        name: 'jobs'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 23, 1)
          delegations: [ { name: 'containerapps', properties: { serviceName: 'Microsoft.App/environments' } } ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 4)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

// One private endpoint per service (group id), each with the private DNS zone that makes its host name resolve inside.
var endpoints = [
  { name: 'blob', account: 'storage', group: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
  { name: 'queue', account: 'storage', group: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
  { name: 'table', account: 'storage', group: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
  { name: 'file', account: 'workShare', group: 'file', zone: 'privatelink.file.${environment().suffixes.storage}' }
  { name: 'servicebus', account: 'namespace', group: 'namespace', zone: 'privatelink.servicebus.windows.net' }
]

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      virtualNetwork: { id: vnet.id }
      registrationEnabled: false
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: '${name}-pe-${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'private-endpoints') }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.account == 'namespace' ? namespace.id : (endpoint.account == 'workShare' ? workShare.id : storage.id)
            groupIds: [ endpoint.group ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [ { name: endpoint.name, properties: { privateDnsZoneId: zones[i].id } } ]
    }
  }
]

output functionsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'functions')
output jobsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'jobs')
output privateEndpointGroups string[] = [for endpoint in endpoints: endpoint.group]
