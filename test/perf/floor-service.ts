// The floor of the cold-start rows: the least any service built on this product's stack does before it may
// answer. Before /health/ready: load Express and validate its settings with zod (the house rule for every
// input, configuration included). Before the first roles answer: verify the IAP assertion with jose
// against IAP's published keys, and read the project's effective IAM policy with googleapis through
// google-auth-library. Started the same way as the service, it shows how much of the service's start is
// its own and how much the stack's, which no code of ours can take back.
// First, as in the service: on Node 22 the floor reads the same compile cache, so that it is a floor there too.
import '../../server/compile-cache';
import express from 'express';
import { z } from 'zod';
import { EMULATOR_ACCESS_TOKEN, googleEndpoints } from '../../server/google/connection';

const settings = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535),
    GOOGLE_API_ENDPOINT: z.url(),
    IAP_AUDIENCE: z.string().regex(/^\/projects\/\d+\/(apps\/[a-z][-a-z0-9]*|global\/backendServices\/\d+)$/),
    RESOURCE_SCOPE: z.string().regex(/^(organizations|folders|projects)\/[-a-z0-9]+$/),
  })
  .parse(process.env);
const endpoints = googleEndpoints(settings.GOOGLE_API_ENDPOINT);

const app = express();
app.get('/health/ready', (_req, res) => {
  res.json({ healthy: true });
});

let keys: import('jose').JWTVerifyGetKey | undefined;
let asset: import('googleapis/build/src/apis/cloudasset/v1').cloudasset_v1.Cloudasset | undefined;

app.get('/api/v1/projects/:projectId/roles', async (req, res) => {
  const { createRemoteJWKSet, jwtVerify } = require('jose') as typeof import('jose');
  keys ??= createRemoteJWKSet(new URL(endpoints.iapJwksUrl));
  await jwtVerify(String(req.header('x-goog-iap-jwt-assertion')), keys, { issuer: 'https://cloud.google.com/iap', audience: settings.IAP_AUDIENCE, algorithms: ['ES256'] });
  if (!asset) {
    const { OAuth2Client } = require('google-auth-library') as typeof import('google-auth-library');
    const { cloudasset_v1 } = require('googleapis/build/src/apis/cloudasset/v1') as typeof import('googleapis/build/src/apis/cloudasset/v1');
    const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: fetch } });
    auth.setCredentials({ access_token: EMULATOR_ACCESS_TOKEN });
    asset = new cloudasset_v1.Cloudasset({ auth, rootUrl: endpoints.rootUrl });
  }
  const policies = await asset.effectiveIamPolicies.batchGet({ scope: settings.RESOURCE_SCOPE, names: [`//cloudresourcemanager.googleapis.com/projects/${req.params.projectId}`] });
  const roles = (policies.data.policyResults ?? []).flatMap((r) => (r.policies ?? []).flatMap((p) => (p.policy?.bindings ?? []).map((b) => b.role)));
  res.json({ roles });
});

const server = app.listen(settings.PORT, () => {
  const address = server.address();
  console.log(`floor service listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`);
});
