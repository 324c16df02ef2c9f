import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../errors.ts';
import type { OdContext } from '../context.ts';
import { OD_TAG } from '../feeds.ts';
import { BULK_FILE, listBulk } from './manifest.ts';

/** GET /open-data/v1/bulk (list with size, date, SHA-256) and /open-data/v1/bulk/:file (the file). */
export const bulkRoutes: FastifyPluginAsync<{ ctx: OdContext }> = async (app, { ctx }) => {
  app.get('/open-data/v1/bulk', { schema: { tags: [OD_TAG.name], summary: '每日全量檔清單 / Daily bulk files' } }, async (_req, reply) => {
    const files = ctx.bulkDir ? await listBulk(ctx.bulkDir) : [];
    void reply.header('cache-control', 'public, max-age=300');
    return { count: files.length, files: files.map((f) => ({ ...f, url: `${ctx.baseUrl}/open-data/v1/bulk/${f.file}` })) };
  });

  app.get('/open-data/v1/bulk/:file', { schema: { tags: [OD_TAG.name], summary: '下載每日全量檔 / Download a bulk file', params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    // Only names matching the dump pattern: no path separators, no dot-dot, nothing else in the dir.
    if (!ctx.bulkDir || !BULK_FILE.test(file)) throw new ApiError('NOT_FOUND', { route: `GET /open-data/v1/bulk/${file}` });
    const path = join(ctx.bulkDir, file);
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new ApiError('NOT_FOUND', { route: `GET /open-data/v1/bulk/${file}` });
    void reply
      .type(file.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'application/gzip')
      .header('content-length', st.size)
      .header('last-modified', st.mtime.toUTCString())
      // A past day's dump never changes once written.
      .header('cache-control', 'public, max-age=86400, immutable')
      .header('content-disposition', `attachment; filename="${file}"`);
    return reply.send(createReadStream(path));
  });
};
