import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { KIND_NAMES, toTaipeiIso, type Reading, type Sensor, type SensorKind } from '../../domain/index.ts';
import { unitsOf } from '../present.ts';
import { ApiError } from '../errors.ts';
import { StringEnum } from '../schemas.ts';
import type { OdContext } from './context.ts';
import { OD_TAG } from './feeds.ts';
import { flagLabel } from './present.ts';
import { flagNames } from '../../domain/index.ts';

/** A slow client whose socket buffer holds more than this loses events (counted) instead of growing our memory. */
const MAX_BUFFERED_BYTES = 256 * 1024;
/** Comment line sent to every client this often so proxies keep idle connections open (and dead ones are found). */
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly res: ServerResponse;
  readonly district: string | undefined;
}

/**
 * The fixed part of a sensor's live JSON (identity, names, public location), built once per
 * sensor: serialising it for every reading was the largest cost of the live feeds at
 * 15,000 readings/s (bench max-throughput profile: liveJson 7.7 % of busy time).
 */
const sensorPrefix = new WeakMap<object, string>();
const unitsJson = new Map<string, string>();

/**
 * The public JSON of one live reading (also the public MQTT payload): allow-listed fields, public
 * location. `sensor`: the registry entry already resolved for this reading (B44), else looked up.
 */
export function liveJson(ctx: Pick<OdContext, 'registry' | 'privacy'>, r: Reading, sensor?: Sensor): string | undefined {
  const s = sensor ?? ctx.registry.sensor(r.sensorId);
  if (!s) return undefined;
  let prefix = sensorPrefix.get(s);
  if (prefix === undefined) {
    const loc = ctx.privacy.location(s);
    const head = JSON.stringify({ sensorId: s.id, kind: s.kind, district: s.district.code, name: s.name['zh-TW'], nameEn: s.name.en, location: { lat: loc.lat, lon: loc.lon } });
    prefix = head.slice(0, -1);
    sensorPrefix.set(s, prefix);
  }
  let units = unitsJson.get(r.kind);
  if (units === undefined) {
    units = JSON.stringify(unitsOf(r.kind));
    unitsJson.set(r.kind, units);
  }
  const flags = r.flags === 0 ? '[]' : JSON.stringify(flagNames(r.flags).map(flagLabel));
  // Same keys in the same order as the object form: sensorId … location, time, epochMs, values, units, flags.
  return `${prefix},"time":"${toTaipeiIso(r.ts)}","epochMs":${r.ts},"values":${JSON.stringify(r.values)},"units":${units},"flags":${flags}}`;
}

/**
 * Server-Sent Events of new readings per kind (issue 5 §5). One subscription to the pipeline
 * for the whole process and one heartbeat timer for all clients; each reading is serialised
 * once and written to the clients of its kind: O(clients of that kind) per reading, nothing
 * when nobody listens.
 */
export const liveRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  const clients = new Map<SensorKind, Set<Client>>(KIND_NAMES.map((k) => [k, new Set()]));
  const gauge = new Gauge({ name: 'civic_open_data_sse_clients', help: 'Connected Server-Sent Events clients', registers: [ctx.metrics] });
  const dropped = new Counter({ name: 'civic_open_data_sse_dropped_total', help: 'Live events not written because a client was too slow', registers: [ctx.metrics] });

  const onReading = (r: Reading) => {
    const set = clients.get(r.kind);
    if (!set || set.size === 0) return;
    const json = liveJson(ctx, r);
    if (!json) return;
    const frame = `id: ${r.seq}\nevent: reading\ndata: ${json}\n\n`;
    for (const c of set) {
      if (c.district !== undefined && c.district !== r.district) continue;
      if (c.res.writableLength > MAX_BUFFERED_BYTES) { dropped.inc(); continue; }
      c.res.write(frame);
    }
  };
  const unsubscribe = ctx.subscribe?.(onReading);
  const heartbeat = setInterval(() => {
    for (const set of clients.values()) for (const c of set) c.res.write(': keepalive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    unsubscribe?.();
    for (const set of clients.values()) for (const c of set) c.res.end();
  });

  app.get('/open-data/v1/feeds/:kind/live', {
    schema: {
      tags: [OD_TAG.name], summary: '即時量測串流（SSE）/ Live readings (Server-Sent Events)',
      params: Type.Object({ kind: StringEnum<SensorKind>(KIND_NAMES) }),
      querystring: Type.Object({ district: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const { kind } = request.params as { kind: SensorKind };
    const { district } = request.query as { district?: string };
    // OD-P6: an unknown district is a 400 like on every other feed, not a stream that never speaks.
    if (district !== undefined && !ctx.registry.district(district)) throw new ApiError('UNKNOWN_DISTRICT', { parameter: 'district', value: district });
    if (!ctx.subscribe) return reply.code(503).header('retry-after', '60').send(new ApiError('LIVE_UNAVAILABLE').body());
    reply.hijack();
    // Headers set by earlier hooks (CORS) are merged by hand: a hijacked reply does not send them.
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // Tell EventSource to wait 5 s before reconnecting after a drop.
    reply.raw.write('retry: 5000\n\n');
    const c: Client = { res: reply.raw, district };
    const set = clients.get(kind)!;
    set.add(c);
    gauge.inc();
    request.raw.on('close', () => {
      if (set.delete(c)) gauge.dec();
    });
  });
};
