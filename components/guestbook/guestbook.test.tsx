import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toEntryRow } from '@/lib/guestbook/entry-row';
import type { Entry } from '@/lib/guestbook/schema';
import { fakeApi } from '@/test/fake-api';
import { renderWithIntl } from '@/test/render';
import { Guestbook } from './guestbook';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const entry = (ms: number, message: string, name = 'Visitor'): Entry => ({
  id: `${ms}-0`,
  name,
  message,
  createdAt: new Date(ms).toISOString(),
});
const minutesAgo = (minutes: number) => NOW.getTime() - minutes * 60_000;

const list = () => screen.getByRole('list', { name: 'Entries, newest first' });
const messages = () => within(list()).getAllByRole('listitem').map((item) => item.querySelector('p')!.textContent);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Guestbook', () => {
  it('renders each entry as plain text with its name and a relative time', () => {
    const xss = entry(minutesAgo(3), '<img src=x onerror=alert(1)> <script>alert(2)</script>', '<b>Mallory</b>');
    renderWithIntl(<Guestbook rows={[xss].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    expect(screen.getByRole('heading', { name: '<b>Mallory</b>' })).toBeInTheDocument();
    expect(screen.getByText('<img src=x onerror=alert(1)> <script>alert(2)</script>')).toBeInTheDocument();
    expect(document.querySelector('img, script, b')).toBeNull();
    const time = screen.getByText('3 minutes ago');
    expect(time).toHaveAttribute('datetime', xss.createdAt);
    expect(time.getAttribute('title')).toMatch(/2026/);
  });

  it('calls an entry newer than the page\'s clock "now", never a time in the future', () => {
    renderWithIntl(<Guestbook rows={[entry(NOW.getTime() + 3000, 'from the future')].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    expect(screen.getByText('now')).toBeInTheDocument();
    expect(screen.queryByText(/^in /)).toBeNull();
  });

  it('keeps line breaks in messages', () => {
    renderWithIntl(<Guestbook rows={[entry(minutesAgo(1), 'one\ntwo')].map(toEntryRow)} nextCursor={null} />, { now: NOW });
    expect(messages()).toEqual(['one\ntwo']);
  });

  it('says kindly that an empty guestbook is empty', () => {
    renderWithIntl(<Guestbook rows={[]} nextCursor={null} />, { now: NOW });
    expect(screen.getByText('No one has signed yet. Be the first!')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Show older entries' })).toBeNull();
  });

  it('loads older pages by cursor, with no entry repeated, until the end', async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = [entry(minutesAgo(1), 'newest'), entry(minutesAgo(2), 'second')];
    renderWithIntl(<Guestbook rows={first.map(toEntryRow)} nextCursor="CURSOR-1" />, { now: NOW });

    const older = screen.getByRole('link', { name: 'Show older entries' });
    expect(older).toHaveAttribute('href', '/?cursor=CURSOR-1');
    await user.click(older);
    expect(api.requests[0]!.url).toBe('/api/guestbook?cursor=CURSOR-1');
    expect(screen.getByRole('link', { name: 'Loading older entries…' })).toBeInTheDocument();
    // The page may overlap what is shown; nothing may appear twice.
    api.requests[0]!.respond(200, { entries: [first[1], entry(minutesAgo(3), 'third')], nextCursor: 'CURSOR-2' });
    await waitFor(() => expect(messages()).toEqual(['newest', 'second', 'third']));

    await user.click(screen.getByRole('link', { name: 'Show older entries' }));
    expect(api.requests[1]!.url).toBe('/api/guestbook?cursor=CURSOR-2');
    api.requests[1]!.respond(200, { entries: [entry(minutesAgo(4), 'oldest')], nextCursor: null });
    await waitFor(() => expect(messages()).toEqual(['newest', 'second', 'third', 'oldest']));
    expect(screen.getByText('That is everyone who has signed.')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Show older entries' })).toBeNull();
  });

  it('says so when older entries cannot be loaded, and lets the visitor try again', async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    renderWithIntl(<Guestbook rows={[entry(minutesAgo(1), 'newest')].map(toEntryRow)} nextCursor="C" />, { now: NOW });
    await user.click(screen.getByRole('link', { name: 'Show older entries' }));
    api.requests[0]!.respond(503, { status: 503 });
    expect(await screen.findByText('Older entries could not be loaded. Please try again.')).toHaveRole('alert');
    expect(screen.getByRole('link', { name: 'Show older entries' })).toBeInTheDocument();
  });

  it("puts the visitor's new entry on top at once, and keeps it there after a reload from a lagging replica", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const existing = [entry(minutesAgo(5), 'earlier')];
    const view = renderWithIntl(<Guestbook rows={existing.map(toEntryRow)} nextCursor={null} />, { now: NOW });
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Ada');
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'Mine');
    await user.click(screen.getByRole('button', { name: 'Sign' }));
    const mine = entry(NOW.getTime() - 1000, 'Mine', 'Ada');
    await act(async () => api.requests[0]!.respond(201, mine));
    await waitFor(() => expect(messages()).toEqual(['Mine', 'earlier']));
    expect(screen.getByText('Mine').closest('li')).toHaveClass('entry-own');

    // A reload whose list came from a replica that does not have the entry yet.
    view.unmount();
    renderWithIntl(<Guestbook rows={existing.map(toEntryRow)} nextCursor={null} />, { now: NOW });
    await waitFor(() => expect(messages()).toEqual(['Mine', 'earlier']));
  });

  it('speaks Chinese, with relative times in Chinese', () => {
    renderWithIntl(<Guestbook rows={[entry(minutesAgo(3), '你好')].map(toEntryRow)} nextCursor="C" />, { locale: 'zh-CN', now: NOW });
    expect(screen.getByRole('heading', { name: '留言' })).toBeInTheDocument();
    expect(screen.getByText('3分钟前')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '查看更早的留言' })).toBeInTheDocument();
  });
});
