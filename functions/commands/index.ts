// Commands from pipelines and tools over Service Bus (queue `warden-commands`); see docs/commands.md.
import './commands-queue';
