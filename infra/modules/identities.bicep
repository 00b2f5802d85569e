// User-assigned managed identities: one per workload, plus one for the KEDA scaler, so each holds only its roles.
param location string
param tags object
param functionsName string
param trainerName string
param scalerName string

resource functions 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: functionsName
  location: location
  tags: tags
}

resource trainer 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: trainerName
  location: location
  tags: tags
}

// Reads the queue's message count for KEDA (needs Manage on the queue), never the messages themselves.
resource scaler 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: scalerName
  location: location
  tags: tags
}

output functionsId string = functions.id
output functionsClientId string = functions.properties.clientId
output trainerId string = trainer.id
output trainerClientId string = trainer.properties.clientId
output scalerId string = scaler.id
