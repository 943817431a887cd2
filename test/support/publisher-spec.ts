// The official publisher's OpenAPI document (../shared/walrus-reference/publisher_openapi.yaml) as a
// validator of what our PUT /v1/blobs and /v1/quilts answer, with ajv (JSON Schema 2020-12, as
// OpenAPI 3.1 uses).
//
// What the real service serializes differs from the file in two places, and the schemas are mapped to
// the service before validating (checked 2026-12-01 against the Walrus docs' own examples, "Storing
// blobs" → "Understanding the response" and the quilt examples, in MystenLabs/walrus docs: every key
// there is camelCase — `newlyCreated.blobObject`, `resourceOperation.registerFromScratch.encodedLength`,
// `epochsAhead`, `alreadyCertified.blobId`, `endEpoch`, `storedQuiltBlobs[].quiltPatchId`):
//  - property names inside BlobStoreResult / RegisterBlobOp are snake_case in the file (`blob_object`,
//    `encoded_length`, `end_epoch`, ...), an artefact of its schema generator; the service's serde
//    renames them camelCase, as it does for Blob and StorageResource, which the file already spells
//    camelCase. Every snake_case property name is mapped to camelCase.
//  - EventID.txDigest is typed as an array of bytes; the service sends the base58 digest string
//    (`"txDigest": "4XQHFa9S324wTzYHF3vsBSwpUZuLpmwTHYMFv9nsttSs"` in the docs). It is mapped to string.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const SPEC_PATH = fileURLToPath(
  new URL('../../../shared/walrus-reference/publisher_openapi.yaml', import.meta.url),
);

type Schema = Record<string, unknown>;

const camel = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Every `properties` key and `required` entry renamed camelCase, recursively. */
function camelCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCased);
  if (typeof value !== 'object' || value === null) return value;
  const out: Schema = {};
  for (const [key, item] of Object.entries(value as Schema)) {
    if (key === 'properties' && typeof item === 'object' && item !== null) {
      out[key] = Object.fromEntries(
        Object.entries(item as Schema).map(([name, schema]) => [camel(name), camelCased(schema)]),
      );
    } else if (key === 'required' && Array.isArray(item)) {
      out[key] = item.map((name) => camel(String(name)));
    } else out[key] = camelCased(item);
  }
  return out;
}

const document = parse(readFileSync(SPEC_PATH, 'utf8')) as {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, Schema> };
};
const schemas = camelCased(document.components.schemas) as Record<string, Schema>;
(schemas.EventID!.properties as Schema).txDigest = { type: 'string' };

// strict: false — the file uses OpenAPI's `format`s (int64, byte, binary), which JSON Schema leaves open.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'publisher', components: { schemas } });

export type PublisherSchema = 'BlobStoreResult' | 'QuiltStoreResult' | 'Status';

/** What is wrong with `value` by the spec's schema (empty: valid). */
export function schemaProblems(schema: PublisherSchema, value: unknown): string[] {
  const validate = ajv.getSchema(`publisher#/components/schemas/${schema}`)!;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '$'} ${error.message}`);
}

/** The spec's statuses for an operation (e.g. 'put /v1/blobs'). */
export function specStatuses(operation: string): string[] {
  const [method, path] = operation.split(' ') as [string, string];
  const op = (document.paths[path] as Record<string, { responses: Record<string, unknown> }>)[method]!;
  return Object.keys(op.responses);
}
