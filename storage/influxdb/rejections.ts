/**
 * Which lines of a rejected batch did the server name? Each generation words it differently:
 *   1.x  400 {"error":"partial write: unable to parse '<line>': <why>\nunable to parse '<line>': ..."}
 *        (valid lines of the batch are written anyway);
 *        field type conflicts and retention drops name no line: "... dropped=N".
 *   2.x  400 {"code":"invalid","message":"... line 3: <why>; line 7: ..."} (1-based).
 *   3.x  400 {"error":"partial write of line protocol occurred","data":[{"line_number":3,"original_line":"...","error_message":"..."}]}.
 * Returns index → reason for every line it can pin down; an empty map means "ask by bisection".
 */
export function namedBadLines(lines: readonly string[], message: string): Map<number, string> {
  const bad = new Map<number, string>();
  fromV3Json(lines, message, bad);
  if (bad.size > 0) return bad;

  const quoted = /unable to parse '([\s\S]*?)': ([^\n]*)/g;
  let byText: Map<string, number[]> | undefined;
  for (let m = quoted.exec(message); m; m = quoted.exec(message)) {
    byText ??= indexByText(lines);
    for (const i of byText.get(m[1]!.trim()) ?? []) bad.set(i, m[2]!);
  }
  if (bad.size > 0) return bad;

  const numbered = /\bline (\d+): ([^;\n]*)/g;
  for (let m = numbered.exec(message); m; m = numbered.exec(message)) {
    const i = Number(m[1]) - 1;
    if (i >= 0 && i < lines.length) bad.set(i, m[2]!);
  }
  return bad;
}

/** True when the server says it dropped every line of the batch ("dropped=N", N = batch size). */
export function droppedAll(lines: readonly string[], message: string): boolean {
  const m = /dropped=(\d+)/.exec(message);
  return m !== null && Number(m[1]) >= lines.length;
}

function fromV3Json(lines: readonly string[], message: string, bad: Map<number, string>): void {
  if (!message.startsWith('{')) return;
  try {
    const j = JSON.parse(message) as { data?: { line_number?: number; error_message?: string }[] };
    for (const d of j.data ?? []) {
      const i = (d.line_number ?? 0) - 1;
      if (i >= 0 && i < lines.length) bad.set(i, d.error_message ?? 'rejected');
    }
  } catch {
    // not the 3.x shape
  }
}

function indexByText(lines: readonly string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const k = l.trim();
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  return m;
}
