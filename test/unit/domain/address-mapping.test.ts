import { AddressMapping, AddressMappingError, InvalidAddressMappingError, extract } from '../../../server/domain/address-mapping';
import { loadConfig } from '../../../server/config';

const VALUE = 'projects/_/buckets/acme-orders-aaa/objects/data_lake/orders/order_date=2019-11-03/aef87g87ae0876';

describe('extract (jit-access 1.x, reference §8.5)', () => {
  test.each([
    ['/order_date={date}/', '2019-11-03'],
    ['buckets/{name}/', 'acme-orders-aaa'],
    ['{start}/objects/data_lake', 'projects/_/buckets/acme-orders-aaa'],
    ['orders/{end}', 'order_date=2019-11-03/aef87g87ae0876'],
    ['{all}', VALUE],
    ['/orders/{none}/order_date=', ''],
    ['no placeholder', VALUE],
    ['unclosed {placeholder', VALUE],
    ['missing/{x}', ''],
  ])('%s → %s', (template, expected) => {
    expect(extract(VALUE, template)).toBe(expected);
  });
});

describe('SMTP_ADDRESS_MAPPING', () => {
  test('without an expression, the user id is the address (lower case)', () => {
    expect(new AddressMapping().addressOf('Alice@Example.com')).toBe('alice@example.com');
    expect(new AddressMapping('  ').addressOf('alice@example.com')).toBe('alice@example.com');
  });

  test("the reference's examples", () => {
    const suffix = new AddressMapping("user.email.extract('{handle}@example.com') + '@test.example.com'");
    expect(suffix.addressOf('Alice@example.com')).toBe('alice@test.example.com');
    const external = new AddressMapping(
      "user.email.endsWith('@external.example.com') ? user.email.extract('{handle}@external.example.com') + '@otherdomain.example' : user.email",
    );
    expect(external.addressOf('bob@external.example.com')).toBe('bob@otherdomain.example');
    expect(external.addressOf('carol@example.com')).toBe('carol@example.com');
  });

  test.each([
    ['a number', '1'],
    ['an empty string', "''"],
    ['two addresses', "user.email + ',evil@example.com'"],
    ['a header line', "user.email + '\\r\\nBcc: evil@example.com'"],
    ['a display name', "'Eve <' + user.email + '>'"],
  ])('a result that is %s is refused when mail is sent', (_name, expression) => {
    const mapping = new AddressMapping(`user.email.startsWith('alice') ? ${expression} : user.email`);
    expect(() => mapping.addressOf('alice@example.com')).toThrow(AddressMappingError);
    expect(() => mapping.addressOf('alice@example.com')).toThrow("failed to transform the user ID 'alice@example.com'");
  });

  test.each([
    ['invalid CEL', 'user.email +', 'not a valid CEL expression'],
    ['an unknown variable', 'usr.email', 'fails for user@example.com'],
    ['a result that is never an address', 'user.email.size()', 'fails for user@example.com'],
  ])('%s is a configuration error', (_name, expression, message) => {
    expect(() => new AddressMapping(expression)).toThrow(InvalidAddressMappingError);
    expect(() => new AddressMapping(expression)).toThrow(message);
  });
});

describe('configuration', () => {
  test('an invalid SMTP_ADDRESS_MAPPING stops start-up, naming the variable', () => {
    expect(() => loadConfig({ RESOURCE_SCOPE: 'projects/prod-app', IAP_VERIFY_AUDIENCE: 'false', SMTP_ADDRESS_MAPPING: 'user.email +' })).toThrow(
      /SMTP_ADDRESS_MAPPING: not a valid CEL expression/,
    );
  });
});
