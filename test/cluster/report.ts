import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The table that a run prints: every step with how long it took, how many requests it made and how
 * many of them failed. Each test file appends its steps to one file of the run; the global setup's
 * teardown prints them all.
 */

export interface Step {
  variant: string;
  step: string;
  seconds: number;
  requests: number;
  failures: number;
  note?: string;
}

export const recordStep = (file: string, step: Step) => appendFileSync(file, `${JSON.stringify(step)}\n`);

export const readSteps = (file: string): Step[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Step) : [];

/** A Markdown table, as the README shows a run's. */
export function stepsTable(steps: Step[]): string {
  const rows = steps.map((step) => [step.variant, step.step, step.seconds.toFixed(1), String(step.requests), String(step.failures), step.note ?? '']);
  const header = ['variant', 'step', 'seconds', 'requests', 'failures', 'measured'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
