import { readFileSync } from 'node:fs';
import { openApiDocument, openApiText, OPERATIONS } from '../../../server/api/openapi';
import { OpenApiResponses, OPENAPI_FILE } from '../../support/openapi';

describe('the OpenAPI document', () => {
  test('docs/openapi.json is the document the schemas generate (run `npm run openapi` after changing them)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText(openApiDocument()));
  });

  test('is OpenAPI 3.1 with JSON Schema 2020-12, every route answering its schema or the error shape', () => {
    const doc = openApiDocument() as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const op of OPERATIONS) {
      const operation = doc.paths[op.path][op.method];
      expect(operation.responses.default.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      for (const name of Object.values(op.responses)) {
        if (name.startsWith('text/')) expect(operation.responses[200].content[name].schema).toEqual({ type: 'string' });
        else expect(doc.components.schemas[name]).toBeDefined();
      }
      const templated = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(operation.parameters?.filter((p: any) => p.in === 'path').map((p: any) => p.name) ?? []).toEqual(templated);
    }
  });

  test('request bodies are described as the server reads them: unknown fields refused, required fields listed', () => {
    const body = (openApiDocument() as any).paths['/api/v1/projects/{projectId}/activations'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['roles', 'justification', 'durationMinutes']);
  });
});

describe('checking answers against the document', () => {
  const responses = new OpenApiResponses(openApiDocument() as any);
  const grant = { id: 'g', projectId: 'p', role: 'roles/x', resourceCondition: null, start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T01:00:00.000Z', approval: { type: 'self', justification: 'j' } };

  test('accepts an answer of the described shape', () => {
    expect(() => responses.check('GET', '/api/v1/me/grants?x=1', 200, { grants: [grant], scheduled: [], warnings: [] })).not.toThrow();
    expect(() => responses.check('DELETE', '/api/v1/me/grants/abc', 404, { error: { code: 'NOT_FOUND', message: 'm', extra: 1 } })).not.toThrow();
  });

  test('refuses a missing field, a wrong type, an unknown field and an unknown variant', () => {
    expect(() => responses.check('GET', '/api/v1/me/grants', 200, { grants: [grant], scheduled: [] })).toThrow(/warnings/);
    expect(() => responses.check('GET', '/api/v1/me/grants', 200, { grants: [{ ...grant, end: 5 }], scheduled: [], warnings: [] })).toThrow(/grants\.0\.end/);
    expect(() => responses.check('GET', '/api/v1/me/grants', 200, { grants: [{ ...grant, secret: 'x' }], scheduled: [], warnings: [] })).toThrow(/does not match/);
    expect(() => responses.check('GET', '/api/v1/me/grants', 200, { grants: [{ ...grant, approval: { type: 'other' } }], scheduled: [], warnings: [] })).toThrow(/does not match/);
  });

  test('refuses an error answer that is not the error shape, and a success from a route it does not describe', () => {
    expect(() => responses.check('GET', '/api/v1/projects', 403, { message: 'no' })).toThrow(/error/);
    expect(() => responses.check('GET', '/api/v1/undescribed', 200, {})).toThrow(/not in docs\/openapi.json/);
    expect(() => responses.check('GET', '/api/v1/undescribed', 404, { error: { code: 'NOT_FOUND', message: 'm' } })).not.toThrow();
  });
});
