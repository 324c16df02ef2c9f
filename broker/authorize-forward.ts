import type { AedesPublishPacket, Client } from 'aedes';

/**
 * authorizeForward (rule B11). Subscriptions are already confined to one sensor's
 * subtree (B10); this is the second fence: nothing under `$` (aedes' `$SYS` heartbeat,
 * client lists, our discard topic) is ever delivered to a device.
 */
export function authorizeForward(_client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
  return packet.topic.charCodeAt(0) === 36 /* '$' */ ? null : packet;
}
