// Network enforcement: enforceNetwork and the ARM resource-event trigger (which also routes role-assignment events).
import './enforce-network';
import './resource-events';
