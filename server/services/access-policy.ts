// The access policy in force: read from a file deployed with the service or from a Secret Manager version
// (ACCESS_POLICY), re-read when it is older than the refresh interval. A new text that is not a valid
// policy is refused with an audit entry and the last valid one stays in force; a policy that is invalid at
// start-up stops the service, since running without the rules its operators wrote would grant too freely.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AccessPolicyError, parseAccessPolicy, type AccessPolicyDocument, type ParseOptions } from '../domain/access-policy';
import type { AuditLog } from './audit';

/** `projects/P/secrets/S/versions/V` (V a number or `latest`): a Secret Manager version; anything else is a file. */
export const SECRET_VERSION = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/(?:[1-9][0-9]*|latest)$/;

export interface PolicyText {
  /** The file path or secret version name, as configured. */
  readonly name: string;
  read(): Promise<string>;
}

/** Where ACCESS_POLICY points: a secret version through Secret Manager, or a file. */
export function policyText(setting: string, secrets: { accessText(name: string): Promise<string> }): PolicyText {
  if (SECRET_VERSION.test(setting)) return { name: setting, read: () => secrets.accessText(setting) };
  return { name: setting, read: () => readFile(setting, 'utf8') };
}

/** A valid policy with where it came from. */
export interface LoadedPolicy {
  readonly document: AccessPolicyDocument;
  /** `sha256:` and the hex digest of the text: tells versions apart in /health/ready and the audit log. */
  readonly digest: string;
  readonly source: string;
  readonly loadedAt: Date;
}

export interface PolicyStatus {
  source: string;
  digest: string;
  rules: number;
  loadedAt: string;
  checkedAt: string;
  /** Why the last text read was not put in force, while the previous policy stays. */
  refused: string | null;
}

export class AccessPolicyStore {
  private loaded?: LoadedPolicy;
  private checkedAt = 0;
  private refused: string | null = null;
  private refreshing?: Promise<void>;

  constructor(
    private readonly text: PolicyText,
    private readonly audit: AuditLog,
    private readonly refreshMs: number,
    private readonly now: () => Date = () => new Date(),
    /** Plain http ITSM endpoints are refused unless the service runs where it accepts the emulator. */
    private readonly parseOptions: ParseOptions = { plainHttpEndpoints: false },
  ) {}

  /** Reads the policy at start-up; throws AccessPolicyError (with lines and columns) or the read error. */
  async load(): Promise<LoadedPolicy> {
    const text = await this.text.read();
    const document = parseAccessPolicy(text, this.text.name, this.parseOptions);
    this.checkedAt = this.now().getTime();
    this.loaded = { document, digest: digestOf(text), source: this.text.name, loadedAt: this.now() };
    this.audit.record({
      event: 'policy.loaded',
      severity: 'NOTICE',
      outcome: 'success',
      message: `Access policy ${this.loaded.digest} from ${this.text.name} is in force (${document.rules.length} rules)`,
      policy: { source: this.text.name, digest: this.loaded.digest },
    });
    return this.loaded;
  }

  /**
   * The policy in force. When it is older than the refresh interval, a re-read starts in the background:
   * requests never wait for it, and on platforms that scale to zero no timer is needed.
   */
  current(): LoadedPolicy {
    if (!this.loaded) throw new Error('The access policy was not loaded: call load() at start-up');
    if (this.now().getTime() - this.checkedAt >= this.refreshMs) void this.refresh();
    return this.loaded;
  }

  /** Re-reads the policy now; a new valid text replaces the one in force, an invalid one is refused. */
  refresh(): Promise<void> {
    this.refreshing ??= this.reread().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  status(): PolicyStatus | null {
    if (!this.loaded) return null;
    return {
      source: this.loaded.source,
      digest: this.loaded.digest,
      rules: this.loaded.document.rules.length,
      loadedAt: this.loaded.loadedAt.toISOString(),
      checkedAt: new Date(this.checkedAt).toISOString(),
      refused: this.refused,
    };
  }

  private async reread(): Promise<void> {
    this.checkedAt = this.now().getTime();
    const previous = this.loaded!;
    let text: string;
    try {
      text = await this.text.read();
    } catch (e) {
      this.refuse(`it could not be read: ${(e as Error).message}`, previous, 'failure');
      return;
    }
    const digest = digestOf(text);
    if (digest === previous.digest) {
      this.refused = null;
      return;
    }
    try {
      const document = parseAccessPolicy(text, this.text.name, this.parseOptions);
      this.loaded = { document, digest, source: this.text.name, loadedAt: this.now() };
      this.refused = null;
      this.audit.record({
        event: 'policy.loaded',
        severity: 'NOTICE',
        outcome: 'success',
        message: `Access policy ${digest} from ${this.text.name} replaces ${previous.digest} (${document.rules.length} rules)`,
        policy: { source: this.text.name, digest, previousDigest: previous.digest },
      });
    } catch (e) {
      if (!(e instanceof AccessPolicyError)) throw e;
      this.refuse(`it is not a valid policy:\n${e.message}`, previous, 'denied', digest);
    }
  }

  private refuse(reason: string, previous: LoadedPolicy, outcome: 'denied' | 'failure', digest?: string): void {
    const message = `The access policy from ${this.text.name}${digest ? ` (${digest})` : ''} was refused: ${reason}`;
    // One audit entry per different problem, not one per refresh.
    if (this.refused === message) return;
    this.refused = message;
    this.audit.record({
      event: 'policy.refused',
      severity: 'ERROR',
      outcome,
      message: `${message}\nThe policy ${previous.digest} stays in force.`,
      policy: { source: this.text.name, digest: digest ?? null, inForce: previous.digest },
    });
  }
}

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
