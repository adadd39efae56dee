// `npm run openapi`: writes docs/openapi.json, the OpenAPI document the service serves at /api/openapi.json.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument, openApiText } from '../server/api/openapi';

const file = path.join(__dirname, '..', '..', 'docs', 'openapi.json');
writeFileSync(file, openApiText(openApiDocument()));
process.stdout.write(`Wrote ${path.relative(process.cwd(), file)}\n`);
