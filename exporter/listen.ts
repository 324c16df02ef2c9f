import { defineErrors, errorText, type CodeOf } from '../domain/index.ts';

/** Start-up errors of the listeners (no HTTP status: the server never answered). */
export const LISTEN_ERRORS = defineErrors('listen', {
  PORT_IN_USE: {
    'zh-TW': (a: { setting: string }) => `請修改設定 ${a.setting}（或改用其他埠，0 = 自動選擇）`,
    en: (a: { setting: string }) => `change the setting ${a.setting} (another port, 0 = any free port)`,
  },
} as const);

/**
 * OD-P5: a listener that cannot bind stops the start with one readable line naming the
 * setting to change, instead of a raw EADDRINUSE stack.
 */
export class PortInUseError extends Error {
  readonly code: CodeOf<typeof LISTEN_ERRORS> = 'PORT_IN_USE';
  constructor(
    readonly setting: string,
    readonly host: string,
    readonly port: number,
    cause: Error,
  ) {
    const why = (cause as NodeJS.ErrnoException).code === 'EACCES' ? '無權限使用 / not permitted' : '已被占用 / already in use';
    const e = LISTEN_ERRORS.PORT_IN_USE;
    super(`${host}:${port} ${why}: ${errorText(e['zh-TW'], { setting })} / ${errorText(e.en, { setting })}`, { cause });
  }
}

const BIND_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** Runs a listen() and turns bind failures into PortInUseError; other errors pass unchanged. */
export async function listenOrExplain<T>(listen: () => Promise<T>, setting: string | ((failedPort: number) => string), host: string, port: number): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (!BIND_ERRORS.has(e.code ?? '')) throw err;
    const failed = typeof e.port === 'number' ? e.port : port;
    throw new PortInUseError(typeof setting === 'function' ? setting(failed) : setting, host, failed, e);
  }
}
