import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { KIND_NAMES, type SensorKind } from '../../domain/index.ts';
import { ApiError } from '../errors.ts';
import { STATIONS_DATASET } from './bulk/columns.ts';
import { listBulk } from './bulk/manifest.ts';
import type { OdContext } from './context.ts';
import { ALERTS_DATASET, QUALITY_DATASET, alertsDataset, datasetId, kindDataset, qualityDataset, type DatasetMeta } from './datasets.ts';
import { dcatCatalog } from './dcat.ts';
import { OD_TAG } from './feeds.ts';
import { QUALITY_FLAG_DOCS } from './present.ts';
import { ReliabilityCalculator } from './reliability.ts';

/**
 * The dataset catalogue (issue 5 §1, §6, §9): one dataset per sensor kind plus public alerts
 * and the quality figures (OD-C4),
 * with data.gov.tw metadata fields, bulk files (size, date, SHA-256) and reliability figures,
 * as JSON and as DCAT JSON-LD.
 */
export const catalogueRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  const reliability = new ReliabilityCalculator(ctx);

  /** Links in the catalogue are absolute (DCAT accessURL is an IRI): the configured base URL, else this request's origin. */
  const withBase = (request: FastifyRequest): OdContext => (ctx.baseUrl ? ctx : { ...ctx, baseUrl: `${request.protocol}://${request.host}` });

  async function all(c: OdContext): Promise<DatasetMeta[]> {
    const [figures, latest, bulk, alerts] = await Promise.all([
      reliability.all(),
      ctx.store.latest({}),
      ctx.bulkDir ? listBulk(ctx.bulkDir, ctx.now()) : Promise.resolve([]),
      ctx.store.alerts({ limit: 1 }),
    ]);
    const last = new Map<SensorKind, number>();
    for (const r of latest) if (r.ts > (last.get(r.kind) ?? -Infinity)) last.set(r.kind, r.ts);
    const out = KIND_NAMES.map((k) => kindDataset(c, k, last.get(k), figures[k], bulk.filter((f) => f.dataset === datasetId(k) || f.dataset === STATIONS_DATASET)));
    out.push(alertsDataset(c, alerts[0]?.updatedAt));
    out.push(qualityDataset(c, last.size ? Math.max(...last.values()) : undefined)); // OD-C4
    return out;
  }

  app.get('/open-data/v1/datasets', { schema: { tags: [OD_TAG.name], summary: '資料集目錄（data.gov.tw 欄位）/ Dataset catalogue (data.gov.tw fields)' } }, async (request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return { count: KIND_NAMES.length + 2, qualityFlags: QUALITY_FLAG_DOCS, datasets: await all(withBase(request)) };
  });

  app.get('/open-data/v1/datasets/:id', { schema: { tags: [OD_TAG.name], summary: '單一資料集 / One dataset', params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } }, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const found = (await all(withBase(request))).find((d) => d.id === id);
    if (!found) throw new ApiError('BAD_PARAMETER', { parameter: 'id', detail: `no dataset ${id}; see /open-data/v1/datasets`, detailZh: `查無資料集 ${id}`, allowed: [...KIND_NAMES.map(datasetId), ALERTS_DATASET, QUALITY_DATASET] });
    void reply.header('cache-control', 'public, max-age=300');
    return found;
  });

  app.get('/open-data/v1/catalog.jsonld', { schema: { tags: [OD_TAG.name], summary: 'DCAT 目錄（JSON-LD）/ DCAT catalogue (JSON-LD)' } }, async (request, reply) => {
    void reply.header('cache-control', 'public, max-age=300').type('application/ld+json; charset=utf-8');
    const c = withBase(request);
    return dcatCatalog(c, await all(c));
  });
};
