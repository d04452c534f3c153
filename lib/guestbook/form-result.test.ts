import { describe, expect, it } from 'vitest';
import { formResultUrl, readFormResult } from './form-result';

const query = (url: string) => {
  const params = new URL(url, 'http://x').searchParams;
  return { posted: params.get('posted') ?? undefined, invalid: params.getAll('invalid') };
};

describe('form results', () => {
  it('send the visitor to their new entry', () => {
    const url = formResultUrl({ posted: '17-0' });
    expect(url).toBe('/?posted=17-0#entry-17-0');
    expect(readFormResult(query(url))).toEqual({ posted: '17-0', invalid: {} });
  });

  it('send the visitor back to the form with the rule each field broke', () => {
    const url = formResultUrl({ invalid: { name: 'required', message: 'tooLong' } });
    expect(url).toBe('/?invalid=name%3Arequired&invalid=message%3AtooLong#sign');
    expect(readFormResult(query(url)).invalid).toEqual({ name: 'required', message: 'tooLong' });
  });

  it('ignore what they did not write', () => {
    expect(readFormResult({ invalid: ['admin:required', 'name:evil', '<script>'] }).invalid).toEqual({});
  });
});
