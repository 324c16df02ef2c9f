import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import type { OdContext } from '../context.ts';
import { ALERTS_DATASET } from '../datasets.ts';
import { OD_TAG } from '../feeds.ts';
import { capXml, newDocument, text } from './document.ts';
import { capOf, capTime } from './map.ts';
import { currentPublicAlerts } from './visibility.ts';

const ATOM_NS = 'http://www.w3.org/2005/Atom';

export const CAP_TYPE = 'application/cap+xml; charset=utf-8';
export const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

/**
 * Public alerts as CAP 1.2 documents and an Atom 1.0 (RFC 4287) feed of the current ones,
 * the form Taiwan's civil alert platform and its consumers already read. Every alert served
 * passed cap/visibility.ts.
 */
export const capRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  const base = (r: FastifyRequest) => ctx.baseUrl || `${r.protocol}://${r.host}`;
  const docUrl = (b: string, id: string) => `${b}/open-data/v1/alerts/cap/${encodeURIComponent(id)}.xml`;

  app.get('/open-data/v1/alerts/cap/:file', {
    schema: { tags: [OD_TAG.name], summary: '單一公開示警（CAP 1.2 XML）/ One public alert as CAP 1.2', params: Type.Object({ file: Type.String({ maxLength: 200 }) }) },
  }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    const id = file.endsWith('.xml') ? file.slice(0, -4) : file;
    const alert = (await currentPublicAlerts(ctx)).find((a) => a.id === id);
    // A non-public or non-Actual alert is indistinguishable from a missing one.
    if (!alert) throw new ApiError('NOT_FOUND', { route: `GET /open-data/v1/alerts/cap/${file}` });
    void reply.type(CAP_TYPE).header('cache-control', 'public, max-age=30');
    return capXml(capOf(ctx, alert, docUrl(base(request), alert.id)));
  });

  app.get('/open-data/v1/alerts/atom.xml', { schema: { tags: [OD_TAG.name], summary: '目前公開示警 Atom 摘要 / Atom feed of current public alerts' } }, async (request, reply) => {
    const b = base(request);
    const alerts = await currentPublicAlerts(ctx);
    const updated = alerts.reduce((m, a) => Math.max(m, a.resolvedAt ?? a.updatedAt), 0) || ctx.now();
    const doc = newDocument();
    const feed = doc.ele(ATOM_NS, 'feed');
    text(feed, 'id', `${b}/open-data/v1/alerts/atom.xml`);
    text(feed, 'title', `${ctx.publisher.agency['zh-TW']} 公開示警 / ${ctx.publisher.agency.en} public alerts`);
    text(feed, 'updated', capTime(updated));
    const author = feed.ele('author');
    text(author, 'name', ctx.publisher.agency['zh-TW']);
    // OD-A2: the publisher's home page from configuration.
    if (ctx.publisher.url) text(author, 'uri', ctx.publisher.url);
    text(author, 'email', ctx.publisher.contactEmail);
    feed.ele('link', { rel: 'self', type: 'application/atom+xml', href: `${b}/open-data/v1/alerts/atom.xml` });
    feed.ele('link', { rel: 'related', href: `${b}/open-data/v1/datasets/${ALERTS_DATASET}` });
    text(feed, 'rights', '政府資料開放授權條款-第1版 / Open Government Data License, Taiwan, version 1.0');
    for (const a of alerts) {
      const cap = capOf(ctx, a, docUrl(b, a.id));
      const zh = cap.info[0]!;
      const en = cap.info[1]!;
      const entry = feed.ele('entry');
      text(entry, 'id', `${b}/open-data/v1/alerts/cap/${encodeURIComponent(a.id)}.xml#${cap.identifier}`);
      text(entry, 'title', `${zh.headline} / ${en.headline}`);
      text(entry, 'updated', cap.sent);
      entry.ele('link', { rel: 'alternate', type: 'application/cap+xml', href: docUrl(b, a.id) });
      text(entry, 'summary', `${zh.description} ${en.description}`);
      entry.ele('category', { term: cap.msgType, label: 'CAP msgType' });
      entry.ele('category', { term: zh.severity, label: 'CAP severity' });
    }
    void reply.type(ATOM_TYPE).header('cache-control', 'public, max-age=30');
    return doc.end({ prettyPrint: true }) + '\n';
  });
};
