import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Entry } from '@/lib/guestbook/schema';
import { fakeApi } from '@/test/fake-api';
import { withIntl } from '@/test/render';
import { SignForm } from './sign-form';

const entry: Entry = { id: '1795737637915-0', name: 'Ada', message: 'Hello', createdAt: '2026-11-27T00:00:37.915Z' };

type Locale = 'en' | 'zh-CN';

/** The form as the page shows it once its script runs, rendered by `show`, with the API faked. */
function setup(locale: Locale = 'en', show: (ui: ReactElement) => void = (ui) => render(ui)) {
  const api = fakeApi();
  const onPosted = vi.fn();
  const user = userEvent.setup();
  show(withIntl(<SignForm onPosted={onPosted} />, { locale }));
  const name = screen.getByRole('textbox', { name: locale === 'en' ? 'Name' : '姓名' });
  const message = screen.getByRole('textbox', { name: locale === 'en' ? 'Message' : '留言' });
  const submit = screen.getByRole('button', { name: locale === 'en' ? 'Sign' : '签名' });
  return { api, onPosted, user, name, message, submit };
}

/**
 * The form as a slow phone shows it: the server's HTML, typed into before the page's script ran,
 * then hydrated by that script. React's complaints about the markup are collected.
 */
function hydrateTyped(typed: { name?: string; message?: string }, locale: Locale = 'en') {
  const complaints: unknown[] = [];
  const controls = setup(locale, (ui) => {
    const container = document.body.appendChild(document.createElement('div'));
    container.innerHTML = renderToString(ui);
    for (const [field, text] of Object.entries(typed)) container.querySelector<HTMLInputElement>(`#${field}`)!.value = text;
    // React reports a mismatch on the console, or as a recoverable error when it renders anew.
    vi.spyOn(console, 'error').mockImplementation((...args) => complaints.push(args));
    render(ui, { container, hydrate: true, onRecoverableError: (error) => complaints.push(error) });
  });
  return { ...controls, complaints };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('SignForm', () => {
  it('counts characters live, in code points, against the limits', async () => {
    const { user, name, message } = setup();
    expect(screen.getByText('0 / 64')).toBeInTheDocument();
    await user.type(name, '😀😀');
    expect(screen.getByText('2 / 64')).toBeInTheDocument();
    await user.type(message, 'Hi there');
    expect(screen.getByText('8 / 500')).toBeInTheDocument();
  });

  it('marks a count over the limit', async () => {
    const { user, name } = setup();
    await user.click(name);
    await user.paste('x'.repeat(65));
    expect(screen.getByText('65 / 64')).toHaveClass('count-over');
    expect(name).toHaveAttribute('aria-invalid', 'true');
  });

  it('checks the rules before sending: nothing is posted, the message sits beside its field', async () => {
    const { api, user, name, message, submit } = setup();
    await user.type(name, '   ');
    await user.click(message);
    await user.paste('y'.repeat(501));
    await user.click(submit);
    expect(api.fetch).not.toHaveBeenCalled();
    expect(screen.getByText('Please enter your name.')).toBeInTheDocument();
    expect(screen.getByText('Your message can be at most 500 characters.')).toBeInTheDocument();
    expect(name).toHaveFocus();
    expect(name).toHaveAccessibleDescription(/Please enter your name/);
  });

  it('shows a pending state and cannot post twice; on success it reports the entry and clears the message', async () => {
    const { api, onPosted, user, name, message, submit } = setup();
    await user.type(name, 'Ada');
    await user.type(message, 'Hello');
    await user.click(submit);
    expect(screen.getByRole('button', { name: 'Signing…' })).toBeDisabled();
    await user.click(submit);
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(JSON.parse(String(request!.init.body))).toEqual({ name: 'Ada', message: 'Hello' });
    request!.respond(201, entry);
    await waitFor(() => expect(onPosted).toHaveBeenCalledWith(entry));
    expect(screen.getByRole('status')).toHaveTextContent('Thank you! Your entry is at the top.');
    expect(message).toHaveValue('');
    expect(name).toHaveValue('Ada');
    expect(screen.getByRole('button', { name: 'Sign' })).toBeEnabled();
  });

  it("shows the server's field errors beside their fields", async () => {
    const { api, user, name, message, submit } = setup();
    await user.type(name, 'Ada');
    await user.type(message, 'Hello');
    await user.click(submit);
    api.requests[0]!.respond(400, { status: 400, detail: 'message is not allowed', errors: { message: ['message is not allowed'] } });
    expect(await screen.findByText('message is not allowed')).toBeInTheDocument();
    expect(message).toHaveAttribute('aria-invalid', 'true');
    expect(message).toHaveValue('Hello');
  });

  it.each([
    [429, 'You are signing quickly. Please try again in 30 seconds. Your text is kept.'],
    [503, 'The guestbook cannot save entries right now. Please try again in 30 seconds. Your text is kept.'],
  ])('explains a %i politely with when to retry, keeps the text, and retries with the same key', async (status, text) => {
    const { api, onPosted, user, name, message, submit } = setup();
    await user.type(name, 'Ada');
    await user.type(message, 'Hello');
    await user.click(submit);
    api.requests[0]!.respond(status, { status }, { 'Retry-After': '30' });
    expect(await screen.findByRole('alert')).toHaveTextContent(text);
    expect(name).toHaveValue('Ada');
    expect(message).toHaveValue('Hello');
    expect(onPosted).not.toHaveBeenCalled();

    await user.click(submit);
    const key = (request: number) => new Headers(api.requests[request]!.init.headers).get('Idempotency-Key');
    expect(key(1)).toBe(key(0));
    expect(key(0)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('says when the guestbook cannot be reached, keeping the text', async () => {
    const { api, user, name, message, submit } = setup();
    await user.type(name, 'Ada');
    await user.type(message, 'Hello');
    await user.click(submit);
    api.requests[0]!.fail();
    expect(await screen.findByRole('alert')).toHaveTextContent(/could not be reached/);
    expect(message).toHaveValue('Hello');
  });

  it('uses a new idempotency key once the text changes', async () => {
    const { api, user, name, message, submit } = setup();
    await user.type(name, 'Ada');
    await user.type(message, 'Hello');
    await user.click(submit);
    api.requests[0]!.fail();
    await screen.findByRole('alert');
    await user.type(message, '!');
    await user.click(submit);
    const key = (request: number) => new Headers(api.requests[request]!.init.headers).get('Idempotency-Key');
    expect(key(1)).not.toBe(key(0));
  });

  it('does its own checks, instead of the browser, once its script runs', () => {
    setup();
    expect(screen.getByRole('form', { name: 'Sign the guestbook' })).toHaveAttribute('novalidate');
  });

  it("leaves the browser's own checks on in the server's HTML until hydration, without a mismatch", () => {
    const served = document.createElement('div');
    served.innerHTML = renderToString(withIntl(<SignForm onPosted={() => {}} />));
    expect(served.querySelector('form')).not.toHaveAttribute('novalidate');
    expect([...served.querySelectorAll('#name, #message')].map((control) => (control as HTMLInputElement).required)).toEqual([true, true]);

    const { complaints } = hydrateTyped({});
    expect(complaints).toEqual([]);
    expect(screen.getByRole('form', { name: 'Sign the guestbook' })).toHaveAttribute('novalidate');
  });

  describe("text typed before the page's script ran", () => {
    it('is kept when the form hydrates, without a mismatch, and counted', () => {
      const { name, message, complaints } = hydrateTyped({ name: 'Ada 😀', message: 'Typed early' });
      expect(complaints).toEqual([]);
      expect(name).toHaveValue('Ada 😀');
      expect(message).toHaveValue('Typed early');
      expect(screen.getByText('5 / 64')).toBeInTheDocument();
      expect(screen.getByText('11 / 500')).toBeInTheDocument();
    });

    it('is posted once as it stands, and the message is cleared after success', async () => {
      const { api, onPosted, user, name, message, submit } = hydrateTyped({ name: 'Ada', message: 'Typed early' });
      await user.click(submit);
      await user.click(submit);
      expect(api.requests).toHaveLength(1);
      expect(JSON.parse(String(api.requests[0]!.init.body))).toEqual({ name: 'Ada', message: 'Typed early' });
      api.requests[0]!.respond(201, entry);
      await waitFor(() => expect(onPosted).toHaveBeenCalledWith(entry));
      expect(message).toHaveValue('');
      expect(screen.getByText('0 / 500')).toBeInTheDocument();
      expect(name).toHaveValue('Ada');
    });

    it('is checked with the same rules, and kept while it is wrong', async () => {
      const { api, user, name, message, submit } = hydrateTyped({ name: 'x'.repeat(65), message: ' \n ' });
      expect(screen.getByText('65 / 64')).toHaveClass('count-over');
      await user.click(submit);
      expect(api.fetch).not.toHaveBeenCalled();
      expect(screen.getByText('Your name can be at most 64 characters.')).toBeInTheDocument();
      expect(screen.getByText('Please write a message.')).toBeInTheDocument();
      expect(name).toHaveValue('x'.repeat(65));
      expect(message).toHaveValue(' \n ');
    });

    it('is kept and checked in Chinese', async () => {
      const { user, name, submit } = hydrateTyped({ name: '王'.repeat(65), message: '你好' }, 'zh-CN');
      expect(name).toHaveValue('王'.repeat(65));
      expect(screen.getByText('2 / 500')).toBeInTheDocument();
      await user.click(submit);
      expect(screen.getByText('姓名最多 64 个字符。')).toBeInTheDocument();
    });
  });

  it('speaks Chinese', async () => {
    const { user, submit } = setup('zh-CN');
    expect(screen.getByRole('heading', { name: '签名留言' })).toBeInTheDocument();
    await user.click(submit);
    expect(screen.getByText('请填写你的姓名。')).toBeInTheDocument();
    expect(screen.getByText('请写下你的留言。')).toBeInTheDocument();
  });
});
