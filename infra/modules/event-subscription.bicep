// One entry of infra/event-subscriptions.json: the Event Grid system topic of its source (the subscription, a vault,
// an ML workspace) and the subscription that delivers the listed event types to the app's Event Grid-triggered
// function. Deployed in the source's resource group (the subscription's topic: in Warden's group, location global).
// Azure allows one system topic per source: a source that already has one needs that topic's name in topicName.
targetScope = 'resourceGroup'

@description('System topic name (unique in the resource group).')
param topicName string

@description('ARM id of the event source (a subscription or a resource).')
param sourceId string

@description('Event Grid topic type of the source, e.g. Microsoft.KeyVault.vaults.')
param topicType string

@description('Region of the system topic: global for a subscription, else the source resource\'s region.')
param location string

@description('Event subscription name (the entry\'s name in event-subscriptions.json).')
param subscriptionName string

@description('ARM id of the function app.')
param functionAppId string

@description('Name of the app\'s Event Grid-triggered function (the entry\'s function).')
param functionName string

@description('Event types the subscription delivers.')
param includedEventTypes array

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  properties: {
    source: sourceId
    topicType: topicType
  }
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: includedEventTypes
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
