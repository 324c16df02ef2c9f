import { isDrillSensor, type Sensor } from '../domain/index.ts';
import type { Registry } from '../registry/index.ts';
import type { SimPrincipal } from './connections.ts';
import type { SimulatorCredentials } from './credentials.ts';

export type { SimulatorCredentials } from './credentials.ts';

/**
 * Groups the sensors to simulate by the connection that publishes them: a sensor
 * assigned to a gateway always goes through that gateway (as a LoRaWAN device can
 * only reach MQTT through its network server); any other sensor connects itself.
 *
 * Without `sensorIds`, every sensor whose publisher has a secret is simulated, in
 * registry order, except drill sensors (tag `drill`, AL10): they belong to the scripted
 * scenarios, which then never compete with the fleet for a sensor's time or connection. With `sensorIds`, an unknown id or one without credentials is an
 * error: a fleet that silently shrinks would make a load test lie.
 */
export function selectPrincipals(registry: Registry, credentials: SimulatorCredentials, sensorIds?: readonly string[]): SimPrincipal[] {
  const explicit = sensorIds !== undefined;
  const candidates: Sensor[] = [];
  const problems: string[] = [];
  if (explicit) {
    // Duplicates are ignored: a sensor has one reporting schedule however often it is named.
    for (const id of new Set(sensorIds)) {
      const s = registry.sensor(id);
      if (s) candidates.push(s);
      else problems.push(`unknown sensor "${id}"`);
    }
  } else {
    for (const s of registry.sensors()) if (!isDrillSensor(s)) candidates.push(s);
  }

  const direct: SimPrincipal[] = [];
  const viaGateway = new Map<string, Sensor[]>();
  for (const s of candidates) {
    if (s.gateway !== undefined) {
      if (credentials.gateways[s.gateway] === undefined) {
        if (explicit) problems.push(`no credentials for gateway "${s.gateway}" of sensor "${s.id}"`);
        continue;
      }
      let list = viaGateway.get(s.gateway);
      if (!list) viaGateway.set(s.gateway, (list = []));
      list.push(s);
    } else {
      const secret = credentials.sensors[s.id];
      if (secret === undefined) {
        if (explicit) problems.push(`no credentials for sensor "${s.id}"`);
        continue;
      }
      direct.push({ type: 'sensor', id: s.id, secret, sensors: [s] });
    }
  }
  if (problems.length) throw new Error(`simulator: ${problems.join('; ')}`);
  const gateways: SimPrincipal[] = [...viaGateway].map(([id, sensors]) => ({ type: 'gateway', id, secret: credentials.gateways[id] as string, sensors }));
  return [...direct, ...gateways];
}
