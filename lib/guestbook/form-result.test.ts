import { describe, expect, it } from 'vitest';
import { formResultUrl, readFormResult } from './form-result';

describe('form results', () => {
  it('send the visitor to their new entry', () => {
    const url = formResultUrl({ posted: '17-0' });
    expect(url).toBe('/?posted=17-0#entry-17-0');
    expect(readFormResult(Object.fromEntries(new URL(url, 'http://x').searchParams))).toEqual({ posted: '17-0', invalid: [] });
  });

  it('send the visitor back to the form with the fields to fix', () => {
    const url = formResultUrl({ errors: { name: ['name is required'], message: ['too long'] } });
    expect(url).toBe('/?invalid=name&invalid=message#sign');
    expect(readFormResult({ invalid: ['name', 'message'] })).toEqual({ posted: undefined, invalid: ['name', 'message'] });
  });
});
