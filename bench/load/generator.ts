/**
 * Load generator process (forked by the harness, pinned to its own core). Connects the
 * fleet's gateways (and optionally its direct sensors and probes) with their own
 * credentials, then plays the plan's phases and reports acknowledgements.
 */
import { PROBE_GATEWAY, ensureFleet, type FleetSensor } from '../fleet.ts';
import type { GeneratorMessage, GeneratorPlan, PhaseResult, ProbeSend } from '../protocol.ts';
import { percentile } from '../stats.ts';
import { Connection, wallNow } from './connection.ts';
import { floodHigh, payloadFor, telemetryTopic } from './payloads.ts';
import { topicBytes } from './mqtt-wire.ts';

const send = (m: GeneratorMessage): void => void process.send?.(m);
const TICK_MS = 5;
const PROBE_TAG = 1;

interface Slot {
  readonly s: FleetSensor;
  readonly topic: Buffer;
  readonly conn: Connection;
  lastTs: number;
}

async function run(plan: GeneratorPlan): Promise<GeneratorMessage> {
  const fleet = await ensureFleet(plan.fleetDir, plan.fleet);
  const errors: string[] = [];
  let ackLat: number[] = [];
  const probeSends: ProbeSend[] = [];
  let pumpMax: ((c: Connection) => void) | undefined;
  const onAck = (conn: () => Connection) => (tag: number, sentAt: number, ackAt: number) => {
    if (tag !== PROBE_TAG && ackLat.length < 2_000_000) ackLat.push(ackAt - sentAt);
    if (pumpMax) pumpMax(conn());
  };
  const open = (clientId: string, username: string): Connection => {
    const c: Connection = new Connection({ host: plan.host, port: plan.port, clientId, username, password: fleet.secrets[username] ?? 'x', window: plan.window, onAck: onAck(() => c) });
    return c;
  };
  const byGateway = new Map(fleet.gateways.map((g) => [g, open(`bench-${g}`, g)]));
  const isProbe = (s: FleetSensor) => s.gateway === PROBE_GATEWAY;
  const probes = fleet.sensors.filter(isProbe);
  const directs = fleet.sensors.filter((s) => !s.gateway);
  const conns = new Map<string, Connection>();
  const probeConn = plan.probeEveryMs > 0 && probes.length > 0 ? open(`bench-${PROBE_GATEWAY}`, PROBE_GATEWAY) : undefined;
  if (probeConn) conns.set(PROBE_GATEWAY, probeConn);
  for (const s of plan.direct ? directs : []) conns.set(s.id, open(`bench-${s.id}`, s.id));
  const t0 = Date.now();
  const all = [...byGateway.values(), ...conns.values()];
  // Connect in slices: a few hundred simultaneous scrypt verifications would only queue in the broker's thread pool.
  for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((c) => c.open()));
  send({ type: 'connected', connections: all.length, connectMs: Date.now() - t0 });

  const slot = (s: FleetSensor, conn: Connection): Slot => ({ s, topic: topicBytes(telemetryTopic(s.kind, s.id)), conn, lastTs: 0 });
  const paced = fleet.sensors.filter((s) => !isProbe(s) && (s.gateway ? true : plan.direct)).map((s) => slot(s, s.gateway ? byGateway.get(s.gateway)! : conns.get(s.id)!));
  const bridged = paced.filter((x) => x.s.gateway);
  const probeSlots = probeConn ? probes.map((s) => slot(s, probeConn)) : [];
  // Per-sensor strictly increasing timestamps: the store keys readings on (sensorId, ts) (S1).
  const stamp = (x: Slot): number => (x.lastTs = Math.max(Date.now(), x.lastTs + 1));
  const publish = (x: Slot): boolean => x.conn.send(x.topic, payloadFor(x.s.kind, stamp(x), x.s.capacity));

  // Groups by interval: each group is walked round-robin, so each sensor reports once per interval/speed.
  const groups = [...new Set(paced.map((x) => x.s.intervalSeconds))].map((iv) => ({ iv, slots: paced.filter((x) => x.s.intervalSeconds === iv), cursor: 0, due: 0 }));
  const backlog: Slot[] = [];
  let backlogHead = 0;
  const results: PhaseResult[] = [];
  let probeState = 0;
  const progress = setInterval(() => send({ type: 'progress', t: wallNow(), acked: ackedTotal(), backlog: backlog.length - backlogHead }), 200);
  const ackedTotal = () => all.reduce((n, c) => n + c.acked, 0);
  const sentTotal = () => all.reduce((n, c) => n + c.sent, 0);

  for (const [index, phase] of plan.phases.entries()) {
    const last = index === plan.phases.length - 1;
    const sent0 = sentTotal();
    const acked0 = ackedTotal();
    ackLat = [];
    const startMs = wallNow();
    let maxBacklog = 0;
    let backlogClearedMs = startMs;
    if (phase.mode === 'max') {
      let remaining = phase.readings;
      const gwSlots = new Map<Connection, Slot[]>();
      for (const x of bridged) (gwSlots.get(x.conn) ?? gwSlots.set(x.conn, []).get(x.conn)!).push(x);
      const cursors = new Map<Connection, number>();
      pumpMax = (c) => {
        const list = gwSlots.get(c);
        if (!list) return;
        let i = cursors.get(c) ?? 0;
        while (remaining > 0 && c.hasRoom) {
          publish(list[i]!);
          i = (i + 1) % list.length;
          remaining--;
        }
        cursors.set(c, i);
      };
      for (const c of gwSlots.keys()) pumpMax(c);
      while (remaining > 0 && !all.some((c) => c.closed)) await new Promise((r) => setTimeout(r, 20));
      pumpMax = undefined;
    } else {
      const end = startMs + phase.seconds * 1000;
      let prev = wallNow();
      let nextProbe = startMs;
      while (wallNow() < end) {
        await new Promise((r) => setTimeout(r, TICK_MS));
        const now = wallNow();
        const dt = (now - prev) / 1000;
        prev = now;
        // Readings that found their connection's window full wait here, oldest first (a device outbox).
        while (backlogHead < backlog.length && publish(backlog[backlogHead]!)) backlogHead++;
        for (const g of groups) {
          g.due += (g.slots.length * phase.speed * dt) / g.iv;
          while (g.due >= 1) {
            g.due -= 1;
            const x = g.slots[g.cursor]!;
            g.cursor = (g.cursor + 1) % g.slots.length;
            if (backlogHead < backlog.length || !publish(x)) backlog.push(x);
          }
        }
        const pending = backlog.length - backlogHead;
        if (pending > maxBacklog) maxBacklog = pending;
        if (pending === 0) {
          backlogClearedMs = now;
          if (backlog.length > 0) (backlog.length = 0), (backlogHead = 0);
        }
        if (probeSlots.length > 0 && phase.probes !== false && now >= nextProbe) {
          nextProbe += plan.probeEveryMs;
          // Each probe sends `probeReadings` high readings in a row and is then retired; the last one should open the alert.
          const p = probeSlots[Math.floor(probeState / plan.probeReadings)];
          const lastOfProbe = probeState % plan.probeReadings === plan.probeReadings - 1;
          probeState++;
          if (p === undefined) {
            if (probeState === probeSlots.length * plan.probeReadings + 1) errors.push(`ran out of ${probeSlots.length} alert probes`);
          } else {
            const ts = stamp(p);
            if (lastOfProbe) probeSends.push({ sensorId: p.s.id, sentMs: wallNow() });
            if (!p.conn.send(p.topic, floodHigh(ts), PROBE_TAG)) errors.push(`probe ${p.s.id} window full`);
          }
        }
      }
    }
    // A max phase, and the last phase, end when everything sent is acknowledged; a paced
    // phase followed by another hands its backlog on (a burst's tail spills into recovery).
    const outstanding = () => all.reduce((n, c) => n + c.inflight, 0) + backlog.length - backlogHead;
    while ((last || phase.mode === 'max') && outstanding() > 0 && !all.some((c) => c.closed)) {
      while (backlogHead < backlog.length && publish(backlog[backlogHead]!)) backlogHead++;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    if (backlogHead >= backlog.length && (last || phase.mode === 'max')) (backlog.length = 0), (backlogHead = 0), (backlogClearedMs = wallNow());
    ackLat.sort((a, b) => a - b);
    results.push({ name: phase.name, startMs, endMs: wallNow(), sent: sentTotal() - sent0, acked: ackedTotal() - acked0, ackP50: percentile(ackLat, 0.5), ackP99: percentile(ackLat, 0.99), maxBacklog, backlogClearedMs });
  }
  clearInterval(progress);
  for (const c of all) if (c.error) errors.push(c.error.message);
  const sent = sentTotal();
  const acked = ackedTotal();
  await Promise.all(all.map((c) => c.close()));
  return { type: 'done', phases: results, sent, acked, probes: probeSends, errors };
}

process.once('disconnect', () => process.exit(0));
process.once('message', (m: { type: 'run'; plan: GeneratorPlan }) => {
  run(m.plan).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (err: Error) => {
      const failed: GeneratorMessage = { type: 'done', phases: [], sent: 0, acked: 0, probes: [], errors: [err.stack ?? err.message] };
      process.send?.(failed, () => process.exit(1));
    },
  );
});
