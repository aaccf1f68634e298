#!/bin/sh
# azd postdeploy hook: Event Grid subscriptions with an AzureFunction destination can only be created once the
# functions exist, i.e. after the first `azd deploy`. The first run turns WARDEN_EVENT_SUBSCRIPTIONS on and provisions
# again (idempotent; only the Event Grid modules are new); later deploys find it on and do nothing.
set -eu
if [ "${WARDEN_EVENT_SUBSCRIPTIONS:-false}" = "true" ]; then
  echo "Event Grid subscriptions already enabled (WARDEN_EVENT_SUBSCRIPTIONS=true)."
  exit 0
fi
echo "Creating Warden's Event Grid subscriptions now that its functions are deployed..."
azd env set WARDEN_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
