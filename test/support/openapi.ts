// Checks every answer the integration tests receive against the committed OpenAPI document
// (docs/openapi.json), so the document is proven by the whole suite, not only by the drift test. Schemas
// are compiled once per component, on first use.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
  components: { schemas: Record<string, JsonSchema> };
}

export const OPENAPI_FILE = path.join(__dirname, '..', '..', 'docs', 'openapi.json');

const COMPONENT_REF = /^#\/components\/schemas\/(.+)$/;

export class OpenApiResponses {
  private readonly routes: { method: string; pattern: RegExp; template: string }[];
  private readonly compiled = new Map<string, z.ZodType>();

  constructor(private readonly doc: OpenApiDocument) {
    this.routes = Object.entries(doc.paths).flatMap(([template, methods]) =>
      Object.keys(methods).map((method) => ({
        method,
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
  }

  static fromFile(file = OPENAPI_FILE): OpenApiResponses {
    return new OpenApiResponses(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument);
  }

  /** Throws when the answer is not one the document describes for this method and path. */
  check(method: string, url: string, status: number, body: unknown): void {
    const pathname = url.split('?')[0];
    const route = this.routes.find((r) => r.method === method.toLowerCase() && r.pattern.test(pathname));
    const where = `${method} ${pathname} → ${status}`;
    // Unknown routes answer the error shape like every refusal.
    if (!route && status < 400) throw new Error(`${where}: the route is not in docs/openapi.json; describe it in server/api/openapi.ts and run npm run openapi.`);
    const responses = route ? this.doc.paths[route.template][route.method].responses : {};
    const described = responses[String(status)] ?? responses.default;
    const schemaRef = route ? described?.content?.['application/json']?.schema : { $ref: '#/components/schemas/Error' };
    const textType = Object.keys(described?.content ?? {}).find((type) => type.startsWith('text/'));
    if (!schemaRef && textType && typeof body === 'string') return;
    if (!schemaRef) throw new Error(`${where}: docs/openapi.json describes no JSON answer for this status.`);
    const result = this.validator(schemaRef).safeParse(body);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`${where}: the answer does not match docs/openapi.json at ${issue.path.join('.') || '(root)'}: ${issue.message}\n${JSON.stringify(body).slice(0, 2000)}`);
    }
  }

  private validator(schema: JsonSchema): z.ZodType {
    const name = typeof schema.$ref === 'string' ? COMPONENT_REF.exec(schema.$ref)?.[1] : undefined;
    if (name === undefined) return z.fromJSONSchema(this.inlined(schema) as never);
    let compiled = this.compiled.get(name);
    if (!compiled) {
      compiled = z.fromJSONSchema(this.inlined(this.doc.components.schemas[name]) as never);
      this.compiled.set(name, compiled);
    }
    return compiled;
  }

  /** Component references replaced by the components, for a converter that resolves only local $defs. */
  private inlined(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.inlined(v));
    if (value === null || typeof value !== 'object') return value;
    const ref = (value as JsonSchema).$ref;
    const name = typeof ref === 'string' ? COMPONENT_REF.exec(ref)?.[1] : undefined;
    if (name !== undefined) return this.inlined(this.doc.components.schemas[name]);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.inlined(v)]));
  }
}

let shared: OpenApiResponses | undefined;

/** One instance per test file: the document is read and each schema compiled once. */
export function openApiResponses(): OpenApiResponses {
  shared ??= OpenApiResponses.fromFile();
  return shared;
}
