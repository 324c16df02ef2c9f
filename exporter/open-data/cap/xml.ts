/** Minimal XML writing for CAP and Atom: escaping and element helpers; no DOM, no dependency. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** `<name>text</name>`, or nothing when text is undefined (optional CAP elements are omitted, not empty). */
export function el(name: string, text: string | number | undefined, indent = ''): string {
  return text === undefined ? '' : `${indent}<${name}>${esc(String(text))}</${name}>\n`;
}

export function block(name: string, inner: string, indent = '', attrs = ''): string {
  return `${indent}<${name}${attrs}>\n${inner}${indent}</${name}>\n`;
}
