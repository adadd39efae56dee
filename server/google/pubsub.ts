// Pub/Sub: publishes the service's events (activations, requests, approvals) to NOTIFICATION_TOPIC.
import { pubsub_v1 } from 'googleapis/build/src/apis/pubsub/v1';
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { backendError, clientOptions, writeOptions, type GoogleEndpoints, type Timeouts } from './connection';

export class PubSub {
  private readonly api: pubsub_v1.Pubsub;

  constructor(
    auth: GoogleAuth | OAuth2Client,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = new pubsub_v1.Pubsub(clientOptions(auth, endpoints));
  }

  /** Publishes one message whose data is the JSON of `payload`; returns its message id. */
  async publishJson(topic: string, payload: unknown): Promise<string> {
    try {
      const res = await this.api.projects.topics.publish(
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
