import { readFile } from 'node:fs/promises';
import { pidAlive } from '../registry/index.ts';
import { serverFilePath, type ServerFile } from '../app/server-file.ts';

/**
 * RG3 on the CLI side: when a server runs on this data directory (its `run/admin.json` names a
 * live pid), every change goes through its admin API with the per-run token (AD5), so the server
 * stays the one writer and the change is live at once. Otherwise the CLI edits the file under
 * the registry lock. A live server that does not answer is an error, never a reason to edit the file.
 */
export async function runningServer(dataDir: string): Promise<ServerFile | undefined> {
  let info: ServerFile;
  try {
    info = JSON.parse(await readFile(serverFilePath(dataDir), 'utf8')) as ServerFile;
  } catch {
    return undefined;
  }
  return pidAlive(info.pid) ? info : undefined;
}

export class ServerCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const e = (body as { error?: { code?: string; message?: string; 'zh-TW'?: string } })?.error;
    super(e ? `${e['zh-TW'] ?? ''} / ${e.message ?? ''} (${e.code ?? status})` : `server answered ${status}`);
  }
}

export async function callServer<T = Record<string, unknown>>(server: ServerFile, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${server.url}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${server.token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new Error(`the server (pid ${server.pid}) runs but its admin API at ${server.url} does not answer (${(err as Error).message}); the registry was not changed 伺服器執行中但無回應，登錄未變更`);
  }
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!res.ok) throw new ServerCallError(res.status, parsed);
  return parsed as T;
}
