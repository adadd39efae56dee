import type { Request } from 'express';
import { publicUrlOf } from '../../../server/http/approval-api';
import type { Config } from '../../../server/config';

function requestWith(headers: Record<string, string>, protocol = 'http'): Request {
  return { get: (name: string) => headers[name.toLowerCase()], protocol } as unknown as Request;
}

const local = { platform: 'local' } as Config;

describe('the public URL in approval links', () => {
  test('PUBLIC_URL wins', () => {
    expect(publicUrlOf(requestWith({ host: 'evil.example.com' }), { ...local, publicUrl: 'https://jit.example.com' })).toBe('https://jit.example.com');
  });

  test('otherwise the Host the user reached through IAP; https on App Engine and Cloud Run', () => {
    expect(publicUrlOf(requestWith({ host: 'jit.example.com' }), { platform: 'appengine' } as Config)).toBe('https://jit.example.com');
    expect(publicUrlOf(requestWith({ host: 'jit-abc.a.run.app', 'x-forwarded-proto': 'http' }), { platform: 'cloudrun' } as Config)).toBe('https://jit-abc.a.run.app');
    expect(publicUrlOf(requestWith({ host: 'localhost:8080' }), local)).toBe('http://localhost:8080');
    expect(publicUrlOf(requestWith({ host: '[::1]:8080', 'x-forwarded-proto': 'https, http' }), local)).toBe('https://[::1]:8080');
  });

  test.each([['a path', 'evil.example.com/x'], ['credentials', 'user@evil.example.com'], ['nothing', ''], ['a space', 'a b']])('a Host with %s is refused', (_name, host) => {
    expect(() => publicUrlOf(requestWith({ host }), local)).toThrow('set PUBLIC_URL');
  });
});
