// A monthly cost budget on the resource group: mail at 80 % of actual spend and at 100 % of forecast spend. The start
// date is pinned in the azd environment by the preprovision hook (Azure refuses to change a budget's start date).
param namePrefix string

@description('Monthly amount in the billing currency.')
@minValue(1)
param amount int

@description('First day of the month the budget starts (yyyy-MM-01).')
@minLength(10)
param startDate string

param alertEmail string
param actionGroupId string

resource budget 'Microsoft.Consumption/budgets@2023-11-01' = {
  name: '${namePrefix}-monthly'
  properties: {
    category: 'Cost'
    amount: amount
    timeGrain: 'Monthly'
    timePeriod: { startDate: startDate }
    notifications: {
      actual80: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 80
        thresholdType: 'Actual'
        contactEmails: [ alertEmail ]
        contactGroups: [ actionGroupId ]
      }
      forecast100: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 100
        thresholdType: 'Forecasted'
        contactEmails: [ alertEmail ]
        contactGroups: [ actionGroupId ]
      }
    }
  }
}

output name string = budget.name
