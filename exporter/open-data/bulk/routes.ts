import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.ts';
import type { OdContext } from '../context.ts';
import { OD_TAG } from '../feeds.ts';
import { dayEnded, listBulk, servedDay } from './manifest.ts';

const TYPES: ReadonlyArray<[RegExp, string]> = [
  [/\.parquet$/, 'application/vnd.apache.parquet'],
  [/\.csv\.gz$/, 'application/gzip'],
  [/\.SHA256SUMS$/, 'text/plain; charset=utf-8'],
  [/\.csv-metadata\.json$/, 'application/csvm+json'],
];

/** GET /open-data/v1/bulk (list with size, date, SHA-256) and /open-data/v1/bulk/:file (the file). */
export const bulkRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  app.get('/open-data/v1/bulk', { schema: { tags: [OD_TAG.name], summary: '每日全量檔清單 / Daily bulk files' } }, async (_req, reply) => {
    const files = ctx.bulkDir ? await listBulk(ctx.bulkDir, ctx.now()) : [];
    void reply.header('cache-control', 'public, max-age=300');
    const days = [...new Set(files.map((f) => f.date))];
    return {
      count: files.length,
      files: files.map((f) => ({ ...f, url: `${ctx.baseUrl}/open-data/v1/bulk/${f.file}` })),
      // OD-B2/OD-B3: the per-day checksum list and column metadata, at the URLs the README documents.
      days: days.map((d) => ({ date: d, sha256sums: `${ctx.baseUrl}/open-data/v1/bulk/${d}.SHA256SUMS`, metadata: `${ctx.baseUrl}/open-data/v1/bulk/${d}.csv-metadata.json` })),
    };
  });

  app.get('/open-data/v1/bulk/:file', { schema: { tags: [OD_TAG.name], summary: '下載每日全量檔 / Download a bulk file', params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    // Only names matching the dump patterns: no path separators, no dot-dot, nothing else in the dir.
    const day = servedDay(file);
    // OD-B1: a file of a day that has not ended (an operator's early run) is never served, let alone as immutable.
    const ended = day !== undefined && dayEnded(day, ctx.now());
    if (!ctx.bulkDir || !ended) throw new ApiError('NOT_FOUND', { route: `GET /open-data/v1/bulk/${file}` });
    const path = join(ctx.bulkDir, file);
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new ApiError('NOT_FOUND', { route: `GET /open-data/v1/bulk/${file}` });
    void reply
      .type(TYPES.find(([re]) => re.test(file))?.[1] ?? 'application/octet-stream')
      .header('content-length', st.size)
      .header('last-modified', st.mtime.toUTCString())
      // A past day's dump never changes once written.
      .header('cache-control', 'public, max-age=86400, immutable')
      .header('content-disposition', `${file.endsWith('.SHA256SUMS') || file.endsWith('.json') ? 'inline' : 'attachment'}; filename="${file}"`);
    return reply.send(createReadStream(path));
  });
};
