// GET /v1/api: our OpenAPI document, a superset of the official aggregator's, publisher's and upload
// relay's (same paths, same parameters) plus what we add: HEAD, Range, conditional requests, hints,
// status, metrics, admin. The publisher's answers are described as the service sends them (camelCase,
// as the Walrus docs show), not with the snake_case names of the official file's schemas.

const status = { $ref: '#/components/schemas/Status' };
/** Error responses with the AIP-193 body, described from a table of the reasons behind each code. */
const errorsFrom =
  (texts: Record<number, string>) =>
  (...codes: number[]) =>
    Object.fromEntries(
      codes.map((code) => [
        String(code),
        { description: texts[code] ?? 'Error', content: { 'application/json': { schema: status } } },
      ]),
    );
const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed ID or invalid consistency options.',
  403: 'The blob exceeds the maximum size this edge serves (BLOB_TOO_LARGE).',
  404: 'The blob (or patch, or object) does not exist (BLOB_NOT_FOUND, QUILT_PATCH_NOT_FOUND).',
  416: 'The range is not satisfiable (INVALID_BYTE_RANGE); Content-Range: bytes */size.',
  429: 'Too many reconstructions in progress; see Retry-After.',
  451: 'The blob is blocked (FORBIDDEN_BLOB).',
  503: 'The blob cannot be reconstructed right now (BLOB_UNAVAILABLE); retry with backoff.',
};
const PUBLISH_ERROR_TEXT: Record<number, string> = {
  400: 'Malformed parameters (e.g. permanent and deletable, share and send_object_to), or a JWT claim the request breaks.',
  401: 'Missing or invalid authorization (PUBLISHER_AUTH).',
  402: 'The upload relay needs a tip (see /v1/tip-config) and the transaction paid too little or none.',
  413: 'The body is larger than this publisher takes (PUBLISH_MAX_BLOB_BYTES / PUBLISH_MAX_QUILT_BYTES).',
  429: 'Too many uploads in progress and queued; see Retry-After. Also: a JWT already used (TOKEN_ALREADY_USED).',
  503: 'Sui or the storage committee cannot be reached right now; nothing was charged.',
  504: 'Too few storage nodes confirmed in time (INSUFFICIENT_CONFIRMATIONS); the registration is kept and reused on retry.',
};
const publishQuery = [
  {
    name: 'epochs',
    in: 'query',
    description: 'Epochs ahead to store for (default 1).',
    schema: { type: 'integer', minimum: 1 },
  },
  {
    name: 'permanent',
    in: 'query',
    description: 'Store a permanent blob (default: deletable).',
    schema: { type: 'boolean' },
  },
  { name: 'deletable', in: 'query', deprecated: true, schema: { type: 'boolean' } },
  {
    name: 'force',
    in: 'query',
    description: 'Store even when already certified for long enough.',
    schema: { type: 'boolean' },
  },
  {
    name: 'send_object_to',
    in: 'query',
    description: 'Transfer the Blob object to this Sui address.',
    schema: { type: 'string' },
  },
  {
    name: 'share',
    in: 'query',
    description: 'Wrap the Blob object as a shared blob.',
    schema: { type: 'boolean' },
  },
  { name: 'encoding_type', in: 'query', schema: { type: 'string', enum: ['RS2'] } },
  { name: 'quilt_version', in: 'query', description: 'Quilts only: v1.', schema: { type: 'string' } },
  {
    name: 'reuse_resources',
    in: 'query',
    description: 'Accepted; registrations of this publisher are always reused.',
    schema: { type: 'boolean' },
  },
  {
    name: 'Authorization',
    in: 'header',
    description: 'Bearer JWT when PUBLISHER_AUTH includes jwt.',
    schema: { type: 'string' },
  },
];
const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const errors = errorsFrom(ERROR_TEXT);
const publishErrors = errorsFrom(PUBLISH_ERROR_TEXT);
const bytes = { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };
const readQuery = [
  { name: 'strict_consistency_check', in: 'query', schema: { type: 'boolean' } },
  { name: 'skip_consistency_check', in: 'query', schema: { type: 'boolean' } },
  {
    name: 'content-type',
    in: 'query',
    description: 'Content-Type to send when nothing better is known (for <img> embeds).',
    schema: { type: 'string' },
  },
  {
    name: 'download',
    in: 'query',
    description: 'Send Content-Disposition: attachment with this file name.',
    schema: { type: 'string' },
  },
];
const httpHeaders = [
  {
    name: 'Range',
    in: 'header',
    description: 'bytes=a-b, bytes=a-, bytes=-n, or several (multipart/byteranges).',
    schema: { type: 'string' },
  },
  { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
  { name: 'If-Range', in: 'header', schema: { type: 'string' } },
];
const blobGet = (summary: string, ...pathParams: string[]) => ({
  summary,
  parameters: [
    ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...readQuery,
    ...httpHeaders,
  ],
  responses: {
    '200': { description: 'The bytes.', content: bytes },
    '206': { description: 'The requested range(s).', content: bytes },
    '304': { description: 'Not modified (If-None-Match).' },
    ...errors(400, 403, 404, 416, 429, 451, 503),
  },
});

export function openApiDocument(version: string) {
  const blob = blobGet('Retrieve a Walrus blob (reconstructed from storage nodes).', 'blob_id');
  return {
    openapi: '3.1.0',
    info: {
      title: 'walrus-edge',
      version,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths: {
      '/v1/blobs/{blob_id}': { get: blob, head: blob },
      '/v1/blobs/{blob_id}/byte-range': {
        get: {
          summary: 'Retrieve bytes [start, start + length) of a blob.',
          parameters: [
            { name: 'blob_id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'start', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
            { name: 'length', in: 'query', required: true, schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            '200': {
              description:
                'The range, with its own ETag `"{blob_id}-{start}-{length}"` (as the official route).',
              content: bytes,
            },
            ...errors(400, 403, 404, 429, 451, 503),
          },
        },
      },
      '/v1/blobs/by-object-id/{blob_object_id}': {
        get: blobGet('Retrieve the blob of a Blob object; its attributes become headers.', 'blob_object_id'),
        head: blobGet('Headers of the blob of a Blob object.', 'blob_object_id'),
      },
      '/v1/blobs/by-quilt-patch-id/{quilt_patch_id}': {
        get: blobGet('Retrieve a quilt patch by its patch ID.', 'quilt_patch_id'),
        head: blobGet('Headers of a quilt patch.', 'quilt_patch_id'),
      },
      '/v1/blobs/by-quilt-id/{quilt_id}/{identifier}': {
        get: blobGet('Retrieve a quilt patch by quilt ID and identifier.', 'quilt_id', 'identifier'),
        head: blobGet('Headers of a quilt patch.', 'quilt_id', 'identifier'),
      },
      '/v1/quilts/{quilt_id}/patches': {
        get: {
          summary: 'List the patches of a quilt.',
          parameters: [{ name: 'quilt_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'The patches.',
              content: {
                'application/json': {
                  schema: { type: 'array', items: { $ref: '#/components/schemas/QuiltPatchItem' } },
                },
              },
            },
            ...errors(400, 403, 404, 429, 451, 503),
          },
        },
      },
      '/v1alpha/blobs/{blob_id}/stream': { get: blobGet('Stream a blob as it is reconstructed.', 'blob_id') },
      '/v1alpha/blobs/concat': {
        get: {
          summary: 'Stream several blobs back to back.',
          parameters: [
            { name: 'ids', in: 'query', required: true, schema: { type: 'string' } },
            ...readQuery.slice(0, 2),
          ],
          responses: {
            '200': { description: 'The blobs.', content: bytes },
            ...errors(400, 403, 404, 429, 451, 503),
          },
        },
        post: {
          summary: 'Stream several blobs back to back (IDs in the body).',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ConcatRequestBody' } } },
          },
          responses: {
            '200': { description: 'The blobs.', content: bytes },
            ...errors(400, 403, 404, 429, 451, 503),
          },
        },
      },
      '/v1/blobs': {
        put: {
          summary: 'Store a blob (the official publisher API), paid by the operator.',
          parameters: publishQuery,
          requestBody: { required: true, content: bytes },
          responses: {
            '200': {
              description: 'newlyCreated or alreadyCertified.',
              content: json({ $ref: '#/components/schemas/BlobStoreResult' }),
            },
            ...publishErrors(400, 401, 413, 429, 503, 504),
          },
        },
      },
      '/v1/quilts': {
        put: {
          summary: 'Store files as one quilt (multipart/form-data: one part per file, optional _metadata).',
          parameters: publishQuery,
          requestBody: { required: true, content: { 'multipart/form-data': {} } },
          responses: {
            '200': {
              description: 'The quilt blob and its patches.',
              content: json({
                type: 'object',
                required: ['blobStoreResult', 'storedQuiltBlobs'],
                properties: {
                  blobStoreResult: { $ref: '#/components/schemas/BlobStoreResult' },
                  storedQuiltBlobs: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['identifier', 'quiltPatchId'],
                      properties: { identifier: { type: 'string' }, quiltPatchId: { type: 'string' } },
                    },
                  },
                },
              }),
            },
            ...publishErrors(400, 401, 413, 429, 503, 504),
          },
        },
      },
      '/v1/tip-config': {
        get: {
          summary: 'The upload relay\'s tip: "no_tip" or {send_tip: {address, kind}} (UPLOAD_RELAY_TIP).',
          responses: { '200': { description: 'The tip configuration.', content: json({}) } },
        },
      },
      '/v1/blob-upload-relay': {
        post: {
          summary:
            'Upload relay: send a blob the client registered to the storage nodes; answers the certificate.',
          parameters: [
            { name: 'blob_id', in: 'query', required: true, schema: { type: 'string' } },
            {
              name: 'tx_id',
              in: 'query',
              description: 'The tip transaction (when a tip is required).',
              schema: { type: 'string' },
            },
            {
              name: 'nonce',
              in: 'query',
              description: "The preimage of the tip's auth payload hash.",
              schema: { type: 'string' },
            },
            { name: 'deletable_blob_object', in: 'query', schema: { type: 'string' } },
            { name: 'encoding_type', in: 'query', schema: { type: 'string', enum: ['RS2'] } },
          ],
          requestBody: { required: true, content: bytes },
          responses: {
            '200': {
              description: '{blob_id, confirmation_certificate: {signers, serialized_message, signature}}.',
              content: json({}),
            },
            ...publishErrors(400, 401, 402, 413, 429, 503, 504),
          },
        },
      },
      '/status': { get: { summary: 'Service status.', responses: { '200': { description: 'Status.' } } } },
      '/metrics': {
        get: { summary: 'Prometheus metrics.', responses: { '200': { description: 'Text format.' } } },
      },
      '/v1/api': {
        get: { summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1.' } } },
      },
      '/v1/admin/blocklist': {
        get: { summary: 'Blocked IDs (Bearer ADMIN_TOKEN).', responses: { '200': { description: 'IDs.' } } },
      },
      '/v1/admin/blocklist/{id}': {
        put: {
          summary: 'Block an ID.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'Blocked.' }, ...errors(400) },
        },
        delete: {
          summary: 'Unblock an ID.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '204': { description: 'Unblocked.' } },
        },
      },
    },
    components: {
      schemas: {
        Status: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['status', 'code', 'message', 'details'],
              properties: {
                status: { type: 'string' },
                code: { type: 'integer' },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
        BlobStoreResult: {
          description:
            'One of {newlyCreated: {blobObject, resourceOperation, cost, sharedBlobObject?}} or ' +
            '{alreadyCertified: {blobId, event: {txDigest, eventSeq} | object, endEpoch}}.',
          type: 'object',
        },
        QuiltPatchItem: {
          type: 'object',
          required: ['identifier', 'patch_id', 'tags'],
          properties: {
            identifier: { type: 'string' },
            patch_id: { type: 'string' },
            tags: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        ConcatRequestBody: {
          type: 'object',
          required: ['ids'],
          properties: {
            ids: { type: 'array', items: { type: 'string' } },
            skip_consistency_check: { type: ['boolean', 'null'] },
            strict_consistency_check: { type: ['boolean', 'null'] },
          },
        },
      },
    },
  };
}
