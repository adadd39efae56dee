// Pub/Sub: publishes the service's events (activations, requests, approvals) to NOTIFICATION_TOPIC.
import type { pubsub_v1 } from 'googleapis/build/src/apis/pubsub/v1';
import { lazyClient, backendError, writeOptions, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export class PubSub {
  private readonly api: () => pubsub_v1.Pubsub;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { pubsub_v1 } = require('googleapis/build/src/apis/pubsub/v1') as typeof import('googleapis/build/src/apis/pubsub/v1');
      return new pubsub_v1.Pubsub(options);
    });
  }

  /** Publishes one message whose data is the JSON of `payload`; returns its message id. */
  async publishJson(topic: string, payload: unknown): Promise<string> {
    try {
      const res = await this.api().projects.topics.publish(
        { topic, requestBody: { messages: [{ data: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64') }] } },
        // Not retried: a publish that timed out may have gone through, and subscribers would see it twice.
        writeOptions(this.timeouts),
      );
      const id = res.data.messageIds?.[0];
      if (!id) throw new Error('Pub/Sub returned no message id');
      return id;
    } catch (e) {
      throw backendError(e, `publishing to the Pub/Sub topic ${topic}`);
    }
  }
}
