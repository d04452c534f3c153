'use client';

import { useTranslations } from 'next-intl';
import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { postEntry, type PostResult } from '@/lib/guestbook/api-client';
import type { RetryReason } from '@/lib/guestbook/form-result';
import { fieldRules, HONEYPOT_FIELD, LIMITS, NewEntrySchema, type Entry, type Field, type Rule } from '@/lib/guestbook/schema';
import { codePointLength, normalizeText } from '@/lib/guestbook/text';
import { randomUuid } from '@/lib/uuid';
import { useBrowserValue } from './use-browser-value';

type Values = Record<Field, string>;
type FieldErrors = Partial<Record<Field, string>>;
type Notice = { tone: 'success' | 'error'; text: string } | null;

const FIELDS: Field[] = ['name', 'message'];
const RULE_MESSAGES = {
  name: { required: 'nameRequired', tooLong: 'nameTooLong' },
  message: { required: 'messageRequired', tooLong: 'messageTooLong' },
} as const;

export interface SignFormProps {
  onPosted: (entry: Entry) => void;
  /** The rules that the server found broken after a post without JavaScript. */
  initialInvalid?: Partial<Record<Field, Rule>>;
  /** Why the server could not take a post without JavaScript, and when to try again. */
  initialRetry?: { reason: RetryReason; seconds: number };
}

/** The control of a field in the form. */
const control = (form: HTMLFormElement, field: Field) => form.elements.namedItem(field) as HTMLInputElement | HTMLTextAreaElement;

/** What the fields hold now, whether or not React saw it being typed. */
const typedIn = (form: HTMLFormElement): Values => ({ name: control(form, 'name').value, message: control(form, 'message').value });

/**
 * The form: a plain HTML form that posts to the API without JavaScript; with it, checked with the
 * server's own schema before sending, posted once (one idempotency key per entry), and kept intact
 * whenever the guestbook cannot take it.
 *
 * The fields own their text (uncontrolled): what a visitor typed before the page's script ran is in
 * them, and React, which never writes a value into them, cannot wipe it at hydration
 * (docs/decisions/017-the-fields-own-their-text.md). The form reads them to check and post.
 */
export function SignForm({ onPosted, initialInvalid = {}, initialRetry }: SignFormProps) {
  const t = useTranslations('Form');
  // A copy of what the fields hold, for the counters.
  const [values, setValues] = useState<Values>({ name: '', message: '' });
  const ruleMessage = (field: Field, rule: Rule) => t(RULE_MESSAGES[field][rule], { max: LIMITS[field] });
  const messagesFor = (rules: Partial<Record<Field, Rule>>): FieldErrors =>
    Object.fromEntries(Object.entries(rules).map(([field, rule]) => [field, ruleMessage(field as Field, rule)]));
  const [errors, setErrors] = useState<FieldErrors>(() => messagesFor(initialInvalid));
  const [pending, setPending] = useState(false);
  const [notice, setNotice] = useState<Notice>(() =>
    initialRetry ? { tone: 'error', text: t(initialRetry.reason, { seconds: initialRetry.seconds }) } : null,
  );
  // Reused until the entry is accepted, so a retry after an error can never post it twice.
  const idempotencyKey = useRef<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // Until the script takes over, the browser's own checks (required) stop an empty form: without
  // JavaScript, and when Sign is clicked before hydration, which would post the form as it is.
  const hydrated = useBrowserValue(() => true, false);
  // Text typed before hydration (or during it, before React listened) fired no change that React saw.
  useLayoutEffect(() => setValues(typedIn(form.current!)), []);

  const focusFirstError = (fields: FieldErrors) => {
    const first = FIELDS.find((field) => fields[field]);
    if (first) form.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
  };

  const handle = (result: PostResult) => {
    switch (result.kind) {
      case 'created':
        idempotencyKey.current = null;
        // The name stays for the next entry.
        control(form.current!, 'message').value = '';
        setValues((current) => ({ ...current, message: '' }));
        setNotice({ tone: 'success', text: t('posted') });
        onPosted(result.entry);
        return;
      case 'invalid': {
        const fields = Object.fromEntries(
          FIELDS.filter((field) => result.errors[field]).map((field) => [field, result.errors[field]!.join(' ')]),
        );
        setErrors(fields);
        setNotice(Object.keys(fields).length ? null : { tone: 'error', text: t('rejected', { detail: result.detail }) });
        focusFirstError(fields);
        return;
      }
      case 'retryLater':
        setNotice({ tone: 'error', text: t(result.reason, { seconds: result.seconds }) });
        return;
      case 'network':
        setNotice({ tone: 'error', text: t('network') });
    }
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    setNotice(null);
    const parsed = NewEntrySchema.safeParse(typedIn(event.currentTarget));
    if (!parsed.success) {
      const fields = messagesFor(fieldRules(parsed.error));
      setErrors(fields);
      focusFirstError(fields);
      return;
    }
    setErrors({});
    setPending(true);
    idempotencyKey.current ??= randomUuid();
    // A script that filled the honeypot gets it sent along, and the server refuses the entry.
    const trap = new FormData(event.currentTarget).get(HONEYPOT_FIELD);
    try {
      handle(await postEntry({ ...parsed.data, ...(trap && { [HONEYPOT_FIELD]: String(trap) }) }, idempotencyKey.current));
    } finally {
      setPending(false);
    }
  };

  const update = (field: Field) => (event: { target: { value: string } }) => {
    const value = event.target.value;
    setValues((current) => ({ ...current, [field]: value }));
    // A changed entry is a new entry: it gets a new key.
    idempotencyKey.current = null;
    if (errors[field]) setErrors((current) => ({ ...current, [field]: undefined }));
  };

  const field = (name: Field, label: string, multiline: boolean) => {
    const count = codePointLength(normalizeText(values[name], { multiline }));
    const over = count > LIMITS[name];
    const describedBy = [`${name}-count`, errors[name] && `${name}-error`].filter(Boolean).join(' ');
    const Control = multiline ? 'textarea' : 'input';
    return (
      <div className="field">
        <div className="field-label">
          <label htmlFor={name}>{label}</label>
          <span id={`${name}-count`} className={over ? 'count count-over' : 'count'}>
            {t('count', { count, max: LIMITS[name] })}
          </span>
        </div>
        <Control
          id={name}
          name={name}
          onChange={update(name)}
          required
          autoComplete={name === 'name' ? 'name' : 'off'}
          aria-invalid={Boolean(errors[name]) || over || undefined}
          aria-describedby={describedBy}
          dir="auto"
          {...(multiline && { rows: 4 })}
        />
        {errors[name] && (
          <p className="field-error" id={`${name}-error`}>
            {errors[name]}
          </p>
        )}
      </div>
    );
  };

  return (
    <form ref={form} method="post" action="/api/guestbook" id="sign" onSubmit={submit} noValidate={hydrated} aria-labelledby="sign-heading" aria-busy={pending}>
      <h2 id="sign-heading">{t('heading')}</h2>
      {field('name', t('name'), false)}
      {field('message', t('message'), true)}
      {/* The honeypot: hidden from people and assistive technology, filled in by naive bots. */}
      <div className="honeypot" aria-hidden="true">
        <label htmlFor={HONEYPOT_FIELD}>Website</label>
        <input id={HONEYPOT_FIELD} name={HONEYPOT_FIELD} type="text" tabIndex={-1} autoComplete="off" defaultValue="" />
      </div>
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? t('pending') : t('submit')}
        </button>
        {/* Both regions exist from the start, so that screen readers announce what appears in them. */}
        <p role="status" className="notice notice-success">
          {notice?.tone === 'success' && notice.text}
        </p>
        <p role="alert" className="notice notice-error">
          {notice?.tone === 'error' && notice.text}
        </p>
      </div>
    </form>
  );
}
