import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generatedFiles } from '@/monitoring/generate';
import { PROMETHEUS, RULE_TESTS_FILE, RULES_FILE } from '@/monitoring/prometheus';
import { ensureSystemPackages } from '@/scripts/system-packages';

/**
 * The rules as promtool sees them (valid, and every alert unit-tested: monitoring/rules.test.yml),
 * each alert documented where an operator looks (its runbook section, the README), and the
 * Kubernetes forms of the rules and the dashboard made from their one source.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTest {
  alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
}

const groups = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: (AlertRule | { record: string })[] }[] }).groups;
const alerts = groups.flatMap((group) => group.rules).filter((rule): rule is AlertRule => 'alert' in rule);
const ruleTests = (parse(readFileSync(RULE_TESTS_FILE, 'utf8')) as { tests: RuleTest[] }).tests.flatMap((test) => test.alert_rule_test ?? []);
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function promtool(args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}

beforeAll(() => ensureSystemPackages([PROMETHEUS]));

describe('the rules (monitoring/rules.yml)', () => {
  it('pass promtool check rules', () => {
    expect(promtool(['check', 'rules', RULES_FILE])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (promtool test rules)', () => {
    expect(promtool(['test', 'rules', RULE_TESTS_FILE])).toContain('SUCCESS');
  });

  it.each(alerts.map((rule) => [rule.alert]))('test %s both firing and quiet', (name) => {
    const tests = ruleTests.filter((test) => test.alertname === name);
    expect(tests.some((test) => test.exp_alerts.length > 0), 'a case where it fires').toBe(true);
    expect(tests.some((test) => test.exp_alerts.length === 0), 'a case where it does not').toBe(true);
  });

  it.each(alerts.map((rule) => [rule.alert, rule]))('give %s a severity, a summary, a description and a runbook section', (name, rule) => {
    expect(['warning', 'critical']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.description).toBeTruthy();
    const anchor = name.toLowerCase();
    expect(rule.annotations?.runbook_url).toBe(`docs/runbook.md#${anchor}`);
    // GitHub's anchor of a heading `## GuestbookRedisDown` is #guestbookredisdown.
    expect(read('docs/runbook.md')).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });

  it('have a runbook with a section for every alert and for nothing else', () => {
    const sections = [...read('docs/runbook.md').matchAll(/^## (Guestbook\w+)$/gm)].map((match) => match[1]);
    expect(sections.sort()).toEqual(alerts.map((rule) => rule.alert).sort());
  });

  it('are each named in the README, under "Operations"', () => {
    const operations = read('README.md').split(/^## /m).find((section) => section.startsWith('Operations'))!;
    for (const rule of alerts) expect(operations, rule.alert).toContain(rule.alert);
  });
});

describe('the generated Kubernetes forms (npm run monitoring:generate)', () => {
  it.each(Object.entries(generatedFiles()))('%s is current', (file, content) => {
    expect(read(file), `${file} differs from its source: run npm run monitoring:generate`).toBe(content);
  });
});
