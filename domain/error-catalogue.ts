/**
 * The one way a stage defines coded errors (STYLE habit 4): a named catalogue of
 * `CODE: { status?, 'zh-TW', en }`, zh-TW first. A text is a string, or a function of the
 * error's arguments when it names a parameter or a value. `status` is the HTTP status for
 * errors that reach HTTP; errors that never do (ingest rejections, analytics) have none.
 *
 *   export const STAFF_ERRORS = defineErrors('staff', {
 *     FORBIDDEN: { status: 403, 'zh-TW': '此操作需要較高的角色權限', en: 'this action needs a higher role' },
 *   } as const);
 *   type StaffErrorCode = CodeOf<typeof STAFF_ERRORS>;   // 'FORBIDDEN'
 *
 * Every catalogue is recorded by name, so test/domain/error-catalogue.test.ts can check that
 * codes are well formed, render in both languages and are unique across the tree.
 */

/** A message in one language: fixed, or built from the error's arguments. */
export type ErrorText<A = never> = string | ((args: A) => string);

export interface ErrorSpec<A = never> {
  /** HTTP status (400–599) when the error is answered over HTTP. */
  readonly status?: number;
  readonly 'zh-TW': ErrorText<A>;
  readonly en: ErrorText<A>;
}

export type CodeOf<C> = keyof C & string;

export interface ErrorBody {
  error: { code: string; message: string; 'zh-TW': string };
}

const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;
const catalogues = new Map<string, Readonly<Record<string, ErrorSpec>>>();

/**
 * Records and freezes a catalogue. Throws at import time on a name used twice, a code that is
 * not UPPER_SNAKE_CASE or a status outside 400–599, so a bad catalogue never starts.
 */
export function defineErrors<const E extends Record<string, ErrorSpec>>(name: string, entries: E): Readonly<E> {
  if (catalogues.has(name)) throw new Error(`error catalogue "${name}" is defined twice`);
  for (const [code, spec] of Object.entries(entries)) {
    if (!CODE.test(code)) throw new Error(`error catalogue "${name}": code ${code} is not UPPER_SNAKE_CASE`);
    const s = spec.status;
    if (s !== undefined && !(Number.isInteger(s) && s >= 400 && s <= 599)) throw new Error(`error catalogue "${name}": ${code} has status ${s}`);
    Object.freeze(spec);
  }
  catalogues.set(name, Object.freeze(entries));
  return entries;
}

/** The text of an entry in one language. */
export function errorText<A>(text: ErrorText<A>, args: A): string {
  return typeof text === 'function' ? text(args) : text;
}

/** The HTTP error body `{ error: { code, message, 'zh-TW' } }` of an entry with fixed texts. */
export function errorBody<E extends Record<string, ErrorSpec>>(catalogue: E, code: CodeOf<E>): ErrorBody {
  const spec = catalogue[code] as ErrorSpec;
  return { error: { code, message: errorText(spec.en, undefined as never), 'zh-TW': errorText(spec['zh-TW'], undefined as never) } };
}

/** Every catalogue defined so far (those of the modules imported), by name. */
export function errorCatalogues(): ReadonlyMap<string, Readonly<Record<string, ErrorSpec>>> {
  return catalogues;
}
