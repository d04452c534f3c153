/**
 * Text as people type it, made canonical before any rule counts it: well-formed Unicode in NFC,
 * Windows and old Mac line breaks as \n, tabs as spaces, and no other control character (no NUL, no
 * escape sequences).
 * Format characters such as the right-to-left marks are kept: RTL text needs them.
 */

// Every C0 and C1 control character except \n.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

export function normalizeText(text: string, { multiline }: { multiline: boolean }): string {
  // A lone surrogate (possible in JSON, never typed) cannot be stored as UTF-8: it becomes U+FFFD.
  const lines = text.toWellFormed().normalize('NFC').replace(/\r\n?/g, '\n').replaceAll('\t', ' ');
  const single = multiline ? lines : lines.replaceAll('\n', ' ');
  return single.replace(CONTROL, '').trim();
}

/** Length in Unicode code points, the unit of the limits: an emoji counts as one, as people expect. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
