// Our /v1/api document describes paid publishing as the app serves it: every route accountRoutes
// registers (read from the Hono app itself, not from a list kept beside the document) with its path
// parameters and the statuses its handlers answer, and the paid PUT /v1/blobs and /v1/quilts with
// their Idempotency-Key header, 402 and the receipt beside the official JSON.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.ts';
import { accountRoutes, type AccountRouteDeps } from '../../src/http/routes/account-routes.ts';

interface Operation {
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: Record<string, string[]>[];
}
type Document = ReturnType<typeof openApiDocument>;

const doc = openApiDocument('test');
const paths = doc.paths as unknown as Record<string, Record<string, Operation>>;

/** The routes accountRoutes registers, as Hono holds them: `:id` becomes `{id}`. */
function accountRouteList(): { method: string; path: string }[] {
  const app = new Hono();
  // Registering routes reads no dependency; none of the handlers runs here.
  accountRoutes(app, {} as AccountRouteDeps);
  return app.routes.map((route) => ({
    method: route.method.toLowerCase(),
    path: route.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
  }));
}

/** Every `$ref` anywhere in `value`. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [item] : refsIn(item),
  );
}

describe('/v1/api covers paid publishing', () => {
  const routes = accountRouteList();

  it('has every account route with its path parameters and its security scheme', () => {
    // The admin API (open, list, show, issue and revoke keys, credit, audit), the account's own
    // view, top-ups and quotes.
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const { method, path } of routes) {
      const operation = paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      const declared = (operation!.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect(declared.sort(), `${method} ${path}`).toEqual(inPath.sort());
      const scheme = path.startsWith('/v1/admin/')
        ? 'adminToken'
        : path.startsWith('/v1/account')
          ? 'apiKey'
          : undefined;
      if (scheme) expect(operation!.security, `${method} ${path}`).toEqual([{ [scheme]: [] }]);
      else expect(operation!.security).toBeUndefined();
    }
  });

  it('lists the statuses the account routes answer', () => {
    const statuses = (method: string, path: string) => Object.keys(paths[path]?.[method]?.responses ?? {});
    // The admin API off (403) or the wrong token (401), a missing account (404), a ledger down (503).
    for (const { method, path } of routes.filter((route) => route.path.startsWith('/v1/admin/')))
      expect(statuses(method, path)).toEqual(expect.arrayContaining(['401', '403', '503']));
    for (const path of ['/v1/admin/accounts/{id}', '/v1/admin/accounts/{id}/credit'])
      expect(statuses(path.endsWith('credit') ? 'post' : 'get', path)).toContain('404');
    expect(statuses('post', '/v1/admin/accounts')).toEqual(expect.arrayContaining(['201', '400']));
    expect(statuses('post', '/v1/admin/accounts/{id}/keys')).toContain('201');
    expect(statuses('delete', '/v1/admin/accounts/{id}/keys/{prefix}')).toEqual(
      expect.arrayContaining(['204', '404']),
    );
    expect(statuses('post', '/v1/account/top-ups')).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '409', '422', '503']),
    );
    expect(statuses('get', '/v1/quote')).toEqual(expect.arrayContaining(['200', '400', '413', '503']));
  });

  for (const path of ['/v1/blobs', '/v1/quilts']) {
    it(`describes PUT ${path} paid: Idempotency-Key, 402, 409, 422 and the receipt`, () => {
      const put = paths[path]!.put!;
      expect(put.parameters!.map((p) => `${p.in} ${p.name}`)).toEqual(
        expect.arrayContaining(['header Idempotency-Key', 'header Authorization']),
      );
      expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['402', '409', '422']));
      const answer = JSON.stringify(put.responses['200']!.content!['application/json']!.schema);
      expect(answer).toContain('"receipt":{"$ref":"#/components/schemas/Receipt"}');
    });
  }

  it('resolves every $ref and names every security scheme it uses', () => {
    const components = doc.components as Document['components'] & Record<string, Record<string, unknown>>;
    for (const ref of refsIn(doc)) {
      const [, , kind, name] = ref.split('/');
      expect(components[kind!]?.[name!], ref).toBeDefined();
    }
    const used = Object.values(paths).flatMap((methods) =>
      Object.values(methods).flatMap((operation) => operation.security ?? []),
    );
    for (const requirement of used)
      for (const scheme of Object.keys(requirement))
        expect(Object.keys(doc.components.securitySchemes)).toContain(scheme);
  });
});
