// Alarms: an action group that mails the operator, and alerts on what costs money or loses work unnoticed:
// dead-lettered training requests (Service Bus), failed or unstartable trainer runs (the worker's pipeline.failures
// metric in Application Insights) and failed function invocations.
param location string
param tags object
param namePrefix string

@description('Address the alerts are mailed to.')
param alertEmail string

param serviceBusNamespaceName string
param queueName string
param appInsightsName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'orpo-ops'
    enabled: true
    emailReceivers: [ { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true } ]
  }
}

// A request that failed maxDeliveryCount times (or expired) sits in the dead-letter queue until someone looks.
resource deadLettered 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-requests-dead-lettered'
  location: 'global'
  tags: tags
  properties: {
    description: 'Training requests are in the dead-letter queue of ${queueName}: look at them with Service Bus Explorer, fix, resubmit.'
    severity: 2
    enabled: true
    scopes: [ namespace.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered-requests'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [ { name: 'EntityName', operator: 'Include', values: [ queueName ] } ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [ { actionGroupId: operators.id } ]
  }
}

// The worker counts failed runs (stage "train") and executions that could not start (stage "start": a broken image
// or a missing role) in pipeline.failures; OpenTelemetry exports it to the customMetrics table.
resource trainerFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-trainer-failures'
  location: location
  tags: tags
  properties: {
    displayName: 'Trainer runs failed or could not start'
    description: 'pipeline.failures from the trainer: see status.json of the run, or the job execution logs for stage=start.'
    severity: 2
    enabled: true
    scopes: [ appInsights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "pipeline.failures" | extend stage = tostring(customDimensions["pipeline.stage"]) | where stage in ("train", "start") | summarize failures = sum(valueSum) by stage'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          dimensions: [ { name: 'stage', operator: 'Include', values: [ '*' ] } ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: { actionGroups: [ operators.id ] }
  }
}

// Failed invocations of any function (ingest, upload, reports), as the Functions host reports them.
resource functionFailures 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-function-failures'
  location: 'global'
  tags: tags
  properties: {
    description: 'Function invocations failed (storage faults are retried; repeated failures mean a file is stuck).'
    severity: 3
    enabled: true
    scopes: [ appInsights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'failed-requests'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'requests/failed'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [ { actionGroupId: operators.id } ]
  }
}

output actionGroupId string = operators.id
