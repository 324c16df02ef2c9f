/**
 * Alert engine (issue 3): rules as configuration, pure rule types, lifecycle,
 * flapping, escalation, routing, delivery (MQTT, webhook, e-mail, SSE), staff state,
 * backtest. `createAlerts` builds the runtime the composition root wires in; the staff
 * HTTP routes live in exporter/staff (a Fastify plugin taking `alerts.service`).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { AlertChange, LocalizedText, Sensor } from '../domain/index.ts';
import { loadAqiTable, provenanceSummary, type AqiTable } from './aqi/table.ts';
import { loadRules } from './config/load.ts';
import { createMailer, type SmtpOptions } from './delivery/email.ts';
import type { RetryPolicy, Sleep } from './delivery/retry.ts';
import { SseHub } from './delivery/sse.ts';
import { createAlertEngine, type ConfigurableAlertEngine } from './engine.ts';
import { Router, loadContacts, type ContactsDoc } from './routing.ts';
import { AlertService } from './service.ts';
import { AlertStateStore } from './state-store.ts';
import type { RuleSet } from './types.ts';

export { createAlertEngine, ConfigurableAlertEngine, type AlertEngineOptions, type EngineSnapshot } from './engine.ts';
export { alertId } from './lifecycle.ts';
export { publication } from './publication.ts';
export { loadRules, parseRules, RuleConfigError } from './config/load.ts';
export { loadAqiTable, subIndex, bandOf, provenanceLines, provenanceSummary, type AqiTable } from './aqi/table.ts';
export { Router, loadContacts, parseContacts, type ContactsDoc } from './routing.ts';
export { Escalator, inQuietHours, type Notice } from './escalation.ts';
export { AlertService, type AlertServiceOptions } from './service.ts';
export { AlertStateStore, type StaffRole, type TokenRec, type DeliveryRec, type AuditRec, type NoteRec } from './state-store.ts';
export { addStaff, verifyToken, hashToken, roleAtLeast, revokeStaff, listStaff } from './staff-tokens.ts';
export { authenticateStaff, staffMaySubscribe, staffMayPublish, type StaffPrincipal } from './mqtt-acl.ts';
export { signWebhook, verifyWebhook, postWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './delivery/webhook.ts';
export { createMailer, type SmtpOptions, type Mailer } from './delivery/email.ts';
export { SseHub } from './delivery/sse.ts';
export { DEFAULT_RETRY, type RetryPolicy } from './delivery/retry.ts';
export { backtest, backtestSensors, storedReadings, formatBacktest, type BacktestReport } from './backtest.ts';
export type { RuleConfig, RuleSet, EngineAlert, Verdict } from './types.ts';

export interface AlertsOptions {
  /** Rule files (YAML), e.g. ['config/rules.default.yaml']. */
  readonly ruleFiles: readonly string[];
  /** Contacts/subscriptions file; omitted = no e-mail/webhook routing. */
  readonly contactsFile?: string;
  /** Where alert-state.jsonl lives (e.g. <dataDir>/alerts). */
  readonly stateDir: string;
  readonly aqiTableFile?: string;
  readonly smtp?: SmtpOptions;
  readonly baseUrl: string;
  /** Every registered sensor (freshness of sensors that never report). */
  readonly sensors: () => Iterable<Sensor>;
  readonly districtName?: (code: string) => LocalizedText | undefined;
  readonly mqttPublish?: (topic: string, payload: string, retain: boolean) => Promise<void>;
  /** Staff-action and connection-event changes for the main store (writer.addAlertChanges). */
  readonly persist?: (changes: AlertChange[]) => void;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly logger: Logger;
  readonly metrics?: MetricsRegistry;
}

export interface Alerts {
  readonly engine: ConfigurableAlertEngine;
  readonly service: AlertService;
  readonly store: AlertStateStore;
  readonly sse: SseHub;
  /** Re-reads the rule files (SIGHUP, admin API); a failing file keeps the old rules (RL4). */
  reloadRules(): Promise<RuleSet>;
  close(): Promise<void>;
}

export async function createAlerts(o: AlertsOptions): Promise<Alerts> {
  const log = o.logger.child({ component: 'alerts' });
  const aqiTable: AqiTable = loadAqiTable(o.aqiTableFile);
  // AQ6: the table's provenance once at start, at info level (shared/standards/moenv-aqi-2025.md).
  log.info({ table: aqiTable.id, verified: aqiTable.verification.verified, rows: provenanceSummary(aqiTable) }, 'AQI breakpoint table loaded; per-row provenance: civicstream rules check');
  let version = 1;
  const rules = await loadRules(o.ruleFiles, version);
  const contacts: ContactsDoc = o.contactsFile ? await loadContacts(o.contactsFile) : { contacts: [], subscriptions: [] };
  const store = await AlertStateStore.open(o.stateDir);
  const engine = createAlertEngine({ rules, aqiTable, sensors: o.sensors });
  const sse = new SseHub();
  const mailer = o.smtp ? createMailer(o.smtp) : undefined;
  const service = new AlertService({
    engine,
    store,
    router: new Router(contacts),
    sse,
    baseUrl: o.baseUrl,
    logger: log,
    ...(o.mqttPublish ? { mqttPublish: o.mqttPublish } : {}),
    ...(o.persist ? { persist: o.persist } : {}),
    ...(mailer ? { mailer } : {}),
    ...(o.districtName ? { location: o.districtName } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    snapshotFile: path.join(o.stateDir, 'engine-snapshot.json'),
  });
  return {
    engine,
    service,
    store,
    sse,
    async reloadRules() {
      const next = await loadRules(o.ruleFiles, ++version);
      log.info({ rules: next.rules.length, version }, 'alert rules reloaded');
      return next;
    },
    async close() {
      await service.close();
      sse.close();
      mailer?.close();
      await store.close();
    },
  };
}
export { SCENARIOS, buildScenario, scenarioStart, type Scenario, type ScenarioName } from './scenarios.ts';
export { floodEta, stationFloodEta, theilSen, warningLevelsOf, type FloodEta, type FloodEtaOptions, type WarningLevels } from './flood-eta.ts';
