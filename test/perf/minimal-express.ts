// The baseline of the cold-start row: the least an Express service can do — load Express, answer
// /health/ready — started the same way as the service, so that the ratio shows what the service adds.
import express from 'express';

const app = express();
app.get('/health/ready', (_req, res) => {
  res.json({ healthy: true });
});
const server = app.listen(Number(process.env.PORT ?? 8080), () => {
  const address = server.address();
  console.log(`minimal Express app listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`);
});
