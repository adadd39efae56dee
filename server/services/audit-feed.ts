// The audit log read back, once for everyone: one incremental poll of Cloud Logging feeds every view that
// lists from the log (admin history and charts; inboxes and "my requests" can read the same feed). Google
// allows entries.list 60 times a minute per project and never more, so no page view reads the log itself:
// a view asks the feed for entries since a time, and the feed reads only what it has not read yet, at most
// once per interval, with concurrent callers sharing one read.
import type { CloudLogging } from '../google/cloud-logging';
import type { AuditLogSource } from '../domain/audit-log-source';
import { AppError } from '../errors';

/** An audit entry as the views read it: the structured payload `AuditLog.record` wrote. */
export interface AuditRecord {
  insertId: string;
  timestamp: Date;
  payload: Record<string, unknown>;
}

export interface AuditFeedSettings {
  /** The project whose logs hold the audit entries, and how to select them there (see auditLogSource). */
  projectId: string;
  source: AuditLogSource;
  /** A caller waits for a new read only when the last one is older than this. */
  pollIntervalMs: number;
  /** How far back the feed keeps (and may be asked for) entries. */
  maxAgeMs: number;
}

/** Entries become readable seconds after they are written: each poll reads again this far back. */
const INGESTION_OVERLAP_MS = 60_000;

export class AuditFeed {
  private records: AuditRecord[] = [];
  private readonly seen = new Set<string>();
  /** Entries at or after this time have all been read (up to `readUntil`). */
  private coveredFrom?: number;
  private readUntil = 0;
  private polledAt = -Infinity;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logging: Pick<CloudLogging, 'listEntries'>,
    private readonly settings: AuditFeedSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The audit entries from `from` on (at most maxAge back), oldest first, and when the log was last read. */
  since(from: Date): Promise<{ records: AuditRecord[]; readAt: Date }> {
    const run = this.queue.then(() => this.catchUp(from));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * An entry this instance has just written, listed at once: Cloud Logging serves it back only after its
   * ingestion delay and the next poll, and the read that does is recognised by the insertId and skipped.
   */
  written(record: AuditRecord): void {
    if (this.seen.has(record.insertId)) return;
    this.seen.add(record.insertId);
    this.records.push(record);
    this.records.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  private async catchUp(requested: Date): Promise<{ records: AuditRecord[]; readAt: Date }> {
    const now = this.now().getTime();
    const oldest = now - this.settings.maxAgeMs;
    const from = Math.max(requested.getTime(), oldest);
    this.records = this.records.filter((r) => r.timestamp.getTime() >= oldest);
    if (this.coveredFrom === undefined) {
      await this.read(from, undefined);
      this.coveredFrom = from;
      this.readUntil = now;
      this.polledAt = now;
    } else {
      if (from < this.coveredFrom) {
        await this.read(from, this.coveredFrom);
        this.coveredFrom = from;
      }
      if (now - this.polledAt >= this.settings.pollIntervalMs) {
        await this.read(this.readUntil - INGESTION_OVERLAP_MS, undefined);
        this.readUntil = now;
        this.polledAt = now;
      }
    }
    return { records: this.records.filter((r) => r.timestamp.getTime() >= from), readAt: new Date(this.polledAt) };
  }

  private async read(from: number, until: number | undefined): Promise<void> {
    const { source } = this.settings;
    if (!source.readable) throw new AppError(503, 'AUDIT_LOG_UNREADABLE', source.reason);
    const clauses = [source.filter, `timestamp>="${new Date(from).toISOString()}"`];
    if (until !== undefined) clauses.push(`timestamp<"${new Date(until).toISOString()}"`);
    let pageToken: string | undefined;
    do {
      const page = await this.logging.listEntries(this.settings.projectId, clauses.join(' AND '), pageToken);
      for (const entry of page.entries) {
        if (!entry.insertId || this.seen.has(entry.insertId)) continue;
        this.seen.add(entry.insertId);
        this.records.push({ insertId: entry.insertId, timestamp: new Date(entry.timestamp), payload: entry.payload });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    this.records.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    // Ids of entries aged out are no longer needed to tell repeats apart.
    if (this.seen.size > this.records.length * 2 + 10_000) {
      this.seen.clear();
      for (const r of this.records) this.seen.add(r.insertId);
    }
  }
}
