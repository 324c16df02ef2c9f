import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { LICENSE } from './schemas.ts';

export const DOCS_PREFIX = '/docs';

/** Route groups as OpenAPI tags, zh-TW first (MISSION: language). */
export const TAGS = {
  ops: { name: 'ops', description: '維運：健康檢查與指標 / Operations: health and metrics' },
  sensors: { name: 'sensors', description: '感測器清單 / Sensor registry' },
  readings: { name: 'readings', description: '即時與歷史量測值 / Latest and historical readings' },
  aggregates: { name: 'aggregates', description: '每分鐘與每小時統計 / Per-minute and per-hour aggregates' },
  alerts: { name: 'alerts', description: '警報 / Alerts' },
  deadLetters: { name: 'dead-letters', description: '被拒收訊息（市府資訊人員用）/ Rejected messages (for city IT staff)' },
  admin: { name: 'admin', description: '管理：感測器、閘道、整合帳號、人員權杖、稽核（需 admin 角色）/ Administration: sensors, gateways, integrations, staff tokens, audit (role admin)' },
} as const;

const DESCRIPTION = [
  '城市感測器開放資料 API。時間一律為含 +08:00 時區的 ISO 8601；數值使用各感測器類型的標準單位（見 units 欄位）。',
  `資料授權：${LICENSE.name['zh-TW']}（${LICENSE.url}）。`,
  '',
  'Open data API for city sensors. Times are ISO 8601 with +08:00; values are in the canonical unit of their kind (see `units`).',
  `Data licence: ${LICENSE.name.en} (${LICENSE.url}).`,
].join('\n');

/**
 * Registers the OpenAPI generator (it collects routes through onRoute, so it must be
 * registered before the route plugins) and the UI at /docs, with the document at /docs/json.
 * OpenAPI 3.1 because its Schema Object is JSON Schema 2020-12, which TypeBox emits as is.
 */
export function registerDocs(app: FastifyInstance, version: string, publicBaseUrl: string | undefined): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'civicstream API',
        version,
        description: DESCRIPTION,
        license: { name: 'Apache-2.0 (software)', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      ...(publicBaseUrl ? { servers: [{ url: publicBaseUrl }] } : {}),
      tags: Object.values(TAGS),
    },
  });
  void app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { docExpansion: 'list', deepLinking: true } });
}
