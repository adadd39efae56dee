// SMTP_ADDRESS_MAPPING: a CEL expression that turns a user's id (their email in Google Cloud) into the
// address their mail goes to, with jit-access 1.x's semantics (reference §8.5).
import { cel } from './cel';
import { InvalidInputError } from './invalid-input-error';

/**
 * jit-access 1.x's `string.extract(template)`: the text the `{name}` placeholder stands for. Without a
 * `{` or a `}` in the template the value is returned unchanged; without a match the result is "".
 */
export function extract(value: string, template: string): string {
  const open = template.indexOf('{');
  const close = template.indexOf('}');
  if (open < 0 || close < 0) return value;
  const prefix = template.slice(0, open);
  const suffix = template.slice(close + 1);
  const at = value.indexOf(prefix);
  if (at < 0) return '';
  const after = value.slice(at + prefix.length);
  if (suffix === '') return after;
  const end = after.indexOf(suffix);
  return end < 0 ? '' : after.slice(0, end);
}

type Program = ReturnType<ReturnType<typeof cel>['plan']>;

let environment: ReturnType<ReturnType<typeof cel>['celEnv']> | undefined;

function compile(expression: string): Program {
  const { celEnv, celMethod, CelScalar, mapType, parse, plan } = cel();
  environment ??= celEnv({
    funcs: [
      celMethod('extract', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (template) {
        return extract(this, template);
      }),
    ],
    variables: { user: mapType(CelScalar.STRING, CelScalar.STRING) },
  });
  return plan(environment, parse(expression));
}

/** A mapping expression that is not valid CEL, or fails on an ordinary address: a configuration error. */
export class InvalidAddressMappingError extends Error {}

/** The user's id cannot be mapped to an address: the expression failed, or gave something else. */
export class AddressMappingError extends InvalidInputError {}

/** One address, nothing that could end a header or add a recipient. */
const MAIL_ADDRESS = /^[^\s@<>",;:()\\[\]]+@[^\s@<>",;:()\\[\]]+\.[^\s@<>",;:()\\[\]]+$/;

export class AddressMapping {
  private readonly program?: Program;

  /** @throws InvalidAddressMappingError — at start-up, not when mail is sent. */
  constructor(readonly expression?: string) {
    if (!expression || expression.trim() === '') return;
    try {
      this.program = compile(expression);
    } catch (e) {
      throw new InvalidAddressMappingError(`not a valid CEL expression: ${(e as Error).message}`);
    }
    try {
      // An expression that fails on a plain address (an unknown variable, a type error) fails for everyone.
      this.addressOf('user@example.com');
    } catch (e) {
      throw new InvalidAddressMappingError(`fails for user@example.com: ${(e as Error).message}`);
    }
  }

  /** The address to send a user's mail to; the user's email when no mapping is configured. */
  addressOf(userEmail: string): string {
    const email = userEmail.toLowerCase();
    const result = this.program ? this.program({ user: { email } }) : email;
    const failure = `The email mapping expression failed to transform the user ID '${email}' into a valid email address`;
    if (this.program && cel().isCelError(result)) throw new AddressMappingError(`${failure}: ${result.message}`);
    if (typeof result !== 'string' || !MAIL_ADDRESS.test(result)) {
      throw new AddressMappingError(`${failure}: it gave ${typeof result === 'string' ? JSON.stringify(result.slice(0, 100)) : `a ${typeof result}`}`);
    }
    return result;
  }
}
