import { approvalLink, obfuscateToken, tokenFromLink } from '../../../server/domain/approval-link';
import { InvalidInputError } from '../../../server/domain/invalid-input-error';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJtcGEtMSJ9.c2lnbmF0dXJl-_';

describe('approval links (jit-access 1.x token obfuscation, reference §2.5)', () => {
  test('encodes as the reference does', () => {
    expect(obfuscateToken('eyABC.eyDE.FG')).toBe('ABC~~DE~FG');
    expect(obfuscateToken(JWT)).toBe('JhbGciOiJSUzI1NiJ9~~JqdGkiOiJtcGEtMSJ9~c2lnbmF0dXJl-_');
  });

  test('decodes what it encodes, also when the signature starts with "ey"', () => {
    for (const jwt of [JWT, 'eyA.eyB.eyC', 'eyA.eyB.']) expect(tokenFromLink(obfuscateToken(jwt))).toBe(jwt);
  });

  test('accepts a plain JWT pasted by hand', () => {
    expect(tokenFromLink(JWT)).toBe(JWT);
  });

  test.each([['cut short', 'JhbGciOiJSUzI1NiJ9~~Jqd'], ['empty', ''], ['foreign characters', 'abc<script>'], ['not a JWT', 'a.b.c']])(
    'refuses a link %s',
    (_name, text) => {
      expect(() => tokenFromLink(text)).toThrow(InvalidInputError);
      expect(() => tokenFromLink(text)).toThrow('damaged or incomplete');
    },
  );

  test('refuses to put anything but a compact JWT into a link', () => {
    expect(() => obfuscateToken('hello')).toThrow(InvalidInputError);
  });

  test('links lead to the SPA page, whatever the trailing slash', () => {
    expect(approvalLink('https://jit.example.com/', 'eyA.eyB.C')).toBe('https://jit.example.com/approve/A~~B~C');
    expect(approvalLink('http://localhost:8080', 'eyA.eyB.C')).toBe('http://localhost:8080/approve/A~~B~C');
  });
});
