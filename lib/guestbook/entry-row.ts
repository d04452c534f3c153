import { entryCreatedAt } from './entry-id';
import type { Entry } from './schema';

/**
 * An entry as the page hands it from the server to the browser, which gets every entry twice (as
 * HTML and in the React payload): a tuple without the field names, and without createdAt, which is
 * the time in the entry's id.
 */
export type EntryRow = readonly [id: string, name: string, message: string];

export const toEntryRow = ({ id, name, message }: Entry): EntryRow => [id, name, message];

export const fromEntryRow = ([id, name, message]: EntryRow): Entry => ({ id, name, message, createdAt: entryCreatedAt(id) });
