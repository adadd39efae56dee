// The HTTP API as the CLI calls it: through IAP with the caller's credentials, the anti-CSRF header on
// every request, and the service's error turned into a message that says what to do next.
import type { ErrorResponse } from '../server/api/schemas';

/** What a request carries to pass IAP: an ID token, or the emulator proxy's session cookie. */
export interface Credentials {
  headers(): Promise<Record<string, string>>;
  /** Advice for a 401 or 403 from IAP, naming the settings that choose the credentials. */
  readonly authAdvice: string;
}

/** The service (or IAP in front of it) refused a call; `status` 0 means it could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class JitClient {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  del<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('DELETE', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    // Outside the try: a credentials failure (no ID token) is its own error, not an unreachable service.
    const credentialHeaders = await this.credentials.headers();
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          ...credentialHeaders,
          'x-jitaccess': '1',
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, 'UNREACHABLE', `Could not reach ${this.baseUrl} (${cause?.code ?? cause?.message ?? (e as Error).message}). Check the URL (--url or JIT_URL, or --emulator) and your network.`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.ok && parsed !== undefined) return parsed as T;
    throw this.errorOf(res, parsed, text);
  }

  private errorOf(res: Response, parsed: unknown, text: string): ApiError {
    const error = (parsed as ErrorResponse | undefined)?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new ApiError(res.status, error.code, `${error.message}${adviceFor(res.status, error.code, this.credentials)}`);
    }
    // Not the service's answer: IAP (or a load balancer) refused before the request reached it.
    if (res.status >= 300 && res.status < 400) {
      return new ApiError(res.status, 'REDIRECTED', `${this.baseUrl} redirected to ${res.headers.get('location') ?? 'another page'}: the request did not pass IAP. ${this.credentials.authAdvice}`);
    }
    const excerpt = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
    if (res.status === 401 || res.status === 403) {
      return new ApiError(res.status, 'IAP_REFUSED', `Identity-Aware Proxy refused the request (HTTP ${res.status}${excerpt ? `: ${excerpt}` : ''}). ${this.credentials.authAdvice}`);
    }
    return new ApiError(res.status, 'UNEXPECTED_ANSWER', `${this.baseUrl} answered HTTP ${res.status} without the service's JSON${excerpt ? ` (${excerpt})` : ''}. Is this the JIT Access URL?`);
  }
}

function adviceFor(status: number, code: string, credentials: Credentials): string {
  if (status === 401) return ` ${credentials.authAdvice}`;
  if (code === 'INTERNAL') return '';
  if (code === 'REQUEST_PENDING') return ' `jit requests` shows it; `jit cancel ID` withdraws it.';
  // A 409 that trying again does not cure: the policy holds as many scheduled grants as it may.
  if (code === 'TOO_MANY_SCHEDULED') return ' `jit grants` lists your scheduled grants.';
  if (status === 409) return ' Nothing was changed; try again.';
  if (status === 429 || status === 503 || status === 504) return ' Try again in a minute.';
  return '';
}
