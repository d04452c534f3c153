import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIVE_CLIENT } from '@/lib/live/client';
import { toEntryRow } from '@/lib/guestbook/entry-row';
import type { Entry } from '@/lib/guestbook/schema';
import { fakeApi } from '@/test/fake-api';
import { FakeEventSource, fakeEventSource } from '@/test/fake-event-source';
import { renderWithIntl } from '@/test/render';
import { Guestbook } from './guestbook';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const entry = (ms: number, message: string, name = 'Visitor'): Entry => ({ id: `${ms}-0`, name, message, createdAt: new Date(ms).toISOString() });
const existing = entry(NOW.getTime() - 60_000, 'earlier');
const theirs = (seconds: number, message: string) => entry(NOW.getTime() + seconds * 1000, message, 'Grace');

const list = () => screen.getByRole('list', { name: 'Entries, newest first' });
const messages = () => within(list()).getAllByRole('listitem').map((item) => item.querySelector('p')!.textContent);
const itemOf = (message: string) => screen.getByText(message).closest('li')!;
const saved = { ...LIVE_CLIENT };

beforeEach(() => {
  Object.assign(LIVE_CLIENT, { pollMs: 20, maxBackoffMs: 50 });
});

afterEach(() => {
  Object.assign(LIVE_CLIENT, saved);
  vi.unstubAllGlobals();
});

describe('live updates on the page', () => {
  it('subscribes after the newest entry shown, and puts what others post on top, marked and announced', async () => {
    const sources = fakeEventSource();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    expect(sources.latest().url).toBe(`/api/guestbook/events?lastEventId=${existing.id}`);

    act(() => sources.latest().emit('entry', theirs(1, 'from Grace')));
    await waitFor(() => expect(messages()).toEqual(['from Grace', 'earlier']));
    expect(itemOf('from Grace')).toHaveClass('entry-new');
    expect(within(itemOf('from Grace')).getByText('New')).toBeInTheDocument();
    expect(itemOf('earlier')).not.toHaveClass('entry-new');
    expect(screen.getByText('1 new entry since you opened the page')).toHaveAttribute('aria-live', 'polite');

    act(() => sources.latest().emit('entry', theirs(2, 'again')));
    await waitFor(() => expect(messages()).toEqual(['again', 'from Grace', 'earlier']));
    expect(screen.getByText('2 new entries since you opened the page')).toBeInTheDocument();
  });

  it('reconnects by itself after the browser gives up, resuming after the newest entry received', async () => {
    const sources = fakeEventSource();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    const first = sources.latest();
    first.open();
    act(() => first.emit('entry', theirs(1, 'before the drop')));
    act(() => first.fail(FakeEventSource.CLOSED));
    await waitFor(() => expect(sources.all).toHaveLength(2));
    expect(sources.latest().url).toBe(`/api/guestbook/events?lastEventId=${theirs(1, '').id}`);
    act(() => sources.latest().emit('entry', theirs(1, 'before the drop')));
    act(() => sources.latest().emit('entry', theirs(2, 'after the drop')));
    await waitFor(() => expect(messages()).toEqual(['after the drop', 'before the drop', 'earlier']));
  });

  it('polls the list with If-None-Match where EventSource is missing, adding only what is new', async () => {
    const api = fakeApi();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    await waitFor(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0]!.url).toBe('/api/guestbook');
    await act(async () => api.requests[0]!.respond(200, { entries: [theirs(1, 'polled'), existing], nextCursor: null }, { ETag: 'W/"one"' }));
    await waitFor(() => expect(messages()).toEqual(['polled', 'earlier']));
    expect(itemOf('polled')).toHaveClass('entry-new');

    await waitFor(() => expect(api.requests).toHaveLength(2));
    expect(new Headers(api.requests[1]!.init.headers).get('if-none-match')).toBe('W/"one"');
    await act(async () => api.requests[1]!.respond(304));
    await waitFor(() => expect(api.requests).toHaveLength(3));
    expect(messages()).toEqual(['polled', 'earlier']);
  });

  it('falls back to polling when the stream keeps failing', async () => {
    const api = fakeApi();
    const sources = fakeEventSource();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    for (let failure = 0; failure < LIVE_CLIENT.maxStreamFailures; failure++) act(() => sources.latest().fail(FakeEventSource.CONNECTING));
    await waitFor(() => expect(api.requests.map((request) => request.url)).toContain('/api/guestbook'));
    expect(sources.latest().readyState).toBe(FakeEventSource.CLOSED);
  });

  it('does not subscribe on an older page', () => {
    const sources = fakeEventSource();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} isOlderPage />, { now: NOW });
    expect(sources.all).toHaveLength(0);
  });

  // Last: the tab remembers its own posts for the rest of this file.
  it("shows the visitor's own post once, not marked as new, when the stream brings it too", async () => {
    const api = fakeApi();
    const sources = fakeEventSource();
    const user = userEvent.setup();
    renderWithIntl(<Guestbook rows={[existing].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Ada');
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'Mine');
    await user.click(screen.getByRole('button', { name: 'Sign' }));
    const mine = entry(NOW.getTime() + 500, 'Mine', 'Ada');
    await act(async () => api.requests[0]!.respond(201, mine));
    act(() => sources.latest().emit('entry', mine));
    await waitFor(() => expect(messages()).toEqual(['Mine', 'earlier']));
    expect(itemOf('Mine')).toHaveClass('entry-own');
    expect(itemOf('Mine')).not.toHaveClass('entry-new');
  });
});
