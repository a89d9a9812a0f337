import { SignetError } from '../errors.ts';

/*
 * Keyset pagination for the users and API-key lists, as the envelope list does it: the cursor
 * is the last row's (time, id), opaque to clients, so a page never skips or repeats a row
 * however rows are added meanwhile.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids in paths are checked before a query: one that is not a UUID is as unknown as another organisation's. */
export const isUuid = (value: string) => UUID.test(value);

export interface PageQuery {
  limit: number;
  cursor?: string | undefined;
}

export interface Keyset {
  at: string;
  id: string;
}

export const encodeCursor = (row: { at: Date | string; id: string }) =>
  Buffer.from(`${new Date(row.at).toISOString()}|${row.id}`).toString('base64url');

export function decodeCursor(cursor: string): Keyset {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !isUuid(id) || Number.isNaN(Date.parse(at))) {
    throw new SignetError('CURSOR_INVALID', 'The pagination cursor is not valid', [
      { path: '/cursor', in: 'query', message: 'use the nextCursor of a previous page' },
    ]);
  }
  return { at, id };
}

/** One more row than the page is fetched: its presence says there is a next page. */
export function pageOf<Row extends { id: string }, View>(
  rows: Row[],
  query: PageQuery,
  at: (row: Row) => Date | string,
  view: (row: Row) => View,
): { data: View[]; nextCursor: string | null } {
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(view),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ at: at(last), id: last.id }) : null,
  };
}
