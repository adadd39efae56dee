// What every part of the emulator is given: its state and the addresses and keys of the running servers.
// Its own module so that the API modules and the server that composes them import it, not each other.
import type { EmulatorState } from './state';
import type { IapSigner } from './iap-signer';
import type { GoogleIdTokenSigner } from './google-id-token-signer';

export interface EmulatorEnv {
  state: EmulatorState;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly baseUrl: string;
  readonly smtpPort: number;
  readonly iapUrl: string | undefined;
  readonly iapAudience: string;
  /** The OAuth client id of IAP: the audience of the ID tokens its programmatic access accepts. */
  readonly iapClientId: string;
  iapSigner: IapSigner;
  googleIdTokens: GoogleIdTokenSigner;
  /** Where state is saved; parts that change outside API calls (mail arriving over SMTP) save it themselves. */
  readonly stateFile?: string;
}
