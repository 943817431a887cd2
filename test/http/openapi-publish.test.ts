// Our /v1/api document describes every operation of the official publisher and upload relay
// (../shared/walrus-reference/{publisher,upload_relay}_openapi.yaml) with every parameter they take,
// so a client generated from either official file finds the same operations in ours.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.ts';

interface Operation {
  parameters?: { name: string; in: string; schema?: { oneOf?: { required?: string[] }[] } }[];
}
type Paths = Record<string, Record<string, Operation>>;

const official = (file: string) =>
  parse(
    readFileSync(fileURLToPath(new URL(`../../../shared/walrus-reference/${file}`, import.meta.url)), 'utf8'),
  ) as { paths: Paths };

/** A parameter's names as a client sends them: `send_or_share` is a form-style object of two. */
function sentNames(parameter: NonNullable<Operation['parameters']>[number]): string[] {
  const variants = parameter.schema?.oneOf;
  return variants ? variants.flatMap((variant) => variant.required ?? []) : [parameter.name];
}

describe('/v1/api covers the official publisher and upload relay', () => {
  const ours = openApiDocument('test').paths as unknown as Paths;
  for (const file of ['publisher_openapi.yaml', 'upload_relay_openapi.yaml']) {
    it(`every operation and parameter of ${file}`, () => {
      const spec = official(file);
      const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      );
      expect(operations.length).toBeGreaterThan(0);
      for (const { path, method, operation } of operations) {
        const mine = ours[path]?.[method];
        expect(mine, `${method} ${path}`).toBeDefined();
        const names = new Set((mine!.parameters ?? []).map((p) => p.name));
        for (const parameter of operation.parameters ?? [])
          for (const name of sentNames(parameter)) expect([...names], `${method} ${path}`).toContain(name);
      }
    });
  }
});
