// GET /v1/api: our OpenAPI document, a superset of the official aggregator's, publisher's and upload
// relay's (same paths, same parameters) plus what we add: HEAD, Range, conditional requests, hints,
// status, metrics, admin, and paid publishing (accounts, quotes, top-ups, Idempotency-Key, receipts).
// The publisher's answers are described as the service sends them (camelCase, as the Walrus docs
// show), not with the snake_case names of the official file's schemas.

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
  400:
    'Malformed ID or invalid consistency options; impossible image options (INVALID_IMAGE_OPTIONS), an image ' +
    'over the pixel limit (IMAGE_TOO_LARGE), format=json on a body that is not a raster image (NOT_AN_IMAGE).',
  403: 'The blob exceeds the maximum size this edge serves (BLOB_TOO_LARGE).',
  404: 'The blob (or patch, or object) does not exist (BLOB_NOT_FOUND, QUILT_PATCH_NOT_FOUND).',
  416: 'The range is not satisfiable (INVALID_BYTE_RANGE); Content-Range: bytes */size.',
  429: 'Too many reconstructions (or image transforms: TOO_MANY_TRANSFORMS) in progress; see Retry-After.',
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
/** PUT /v1/blobs and /v1/quilts: the publisher's reasons, and those of paid publishing (api-key). */
const PAID_PUBLISH_ERROR_TEXT: Record<number, string> = {
  ...PUBLISH_ERROR_TEXT,
  401:
    'Missing or invalid authorization (PUBLISHER_AUTH): a JWT, or an API key that is unknown or revoked ' +
    '(MISSING_API_KEY, INVALID_API_KEY).',
  402:
    "The account's available balance is short of the upload's price (INSUFFICIENT_BALANCE); the body " +
    'adds `quote` (as GET /v1/quote) and `availableFrost`. Nothing was held or paid.',
  409:
    'A request with this Idempotency-Key is still being processed (IDEMPOTENCY_KEY_IN_USE); retry ' +
    'after Retry-After for its answer.',
  413: "The body is larger than this publisher takes (PUBLISH_MAX_BLOB_BYTES / PUBLISH_MAX_QUILT_BYTES) or than the account's maxUploadBytes.",
  422: 'This Idempotency-Key was used for a different request: other bytes or parameters (IDEMPOTENCY_KEY_REUSED).',
  429:
    'Too many uploads in progress and queued, or the API key is over its uploadsPerMinute (RATE_LIMITED); ' +
    'see Retry-After. Also: a JWT already used (TOKEN_ALREADY_USED).',
  503:
    'Sui or the storage committee cannot be reached, the ledger cannot be read (LEDGER_UNAVAILABLE), ' +
    'or the sponsor is short of WAL or SUI (SPONSOR_INSUFFICIENT_FUNDS); nothing was charged.',
};
const ACCOUNT_ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON or parameters (INVALID_JSON, INVALID_ARGUMENT), or a malformed digest (INVALID_DIGEST).',
  401: 'Missing or wrong bearer token: ADMIN_TOKEN for /v1/admin, an API key for /v1/account (MISSING_API_KEY, INVALID_API_KEY).',
  403: 'The admin API is off: ADMIN_TOKEN is not set (ADMIN_DISABLED).',
  404: 'No such account or key (ACCOUNT_NOT_FOUND, API_KEY_NOT_FOUND), or a top-up transaction Sui does not know (TOP_UP_NOT_FOUND).',
  409: 'The top-up transaction was credited already, to this account or another (TOP_UP_ALREADY_CREDITED).',
  413: 'The size is larger than this publisher takes (PAYLOAD_TOO_LARGE).',
  422:
    'The transaction did not pay the sponsor in WAL: it failed, or sent to another address or another coin ' +
    "(TOP_UP_FAILED_TRANSACTION, TOP_UP_WRONG_RECIPIENT, TOP_UP_WRONG_COIN), or it was sent by one of the sponsor's own wallets (TOP_UP_FROM_SPONSOR).",
  503: 'The ledger or Sui cannot be read right now (LEDGER_UNAVAILABLE, SUI_UNAVAILABLE); see Retry-After.',
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
    description:
      'Bearer JWT when PUBLISHER_AUTH includes jwt; Bearer API key (wek_…) when it includes api-key: ' +
      "the upload is paid from the key's account.",
    schema: { type: 'string' },
  },
];
/** Paid uploads: the publisher's parameters, and the key that makes a retry safe. */
const paidPublishParameters = [
  ...publishQuery,
  {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'Paid uploads: copies of a request with the same key (1 to 255 visible ASCII characters), also ' +
      'at once or at another instance, are done and paid once and get the same answer ' +
      '(Idempotent-Replayed: true on the copies).',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
];
const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const errors = errorsFrom(ERROR_TEXT);
const publishErrors = errorsFrom(PUBLISH_ERROR_TEXT);
const paidPublishErrors = errorsFrom(PAID_PUBLISH_ERROR_TEXT);
const accountErrors = errorsFrom(ACCOUNT_ERROR_TEXT);
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A paid upload's answer: the official JSON intact, with the receipt beside it. */
const withReceipt = (official: Record<string, unknown>) => ({
  allOf: [official, { type: 'object', properties: { receipt: ref('Receipt') } }],
});
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const adminAuth = 'Bearer ADMIN_TOKEN.';
/** Operations of a paid account's own: `Authorization: Bearer <API key>` (components.securitySchemes). */
const apiKeySecurity = [{ apiKey: [] }];
const adminSecurity = [{ adminToken: [] }];
const accountJsonBody = (schema: Record<string, unknown>) => ({ required: true, content: json(schema) });
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
  ...imageQuery(),
];

/** Image variants (src/media/): a raster image is resized and re-encoded; anything else is served as stored. */
function imageQuery() {
  const param = (name: string, description: string, schema: Record<string, unknown>) => ({
    name,
    in: 'query',
    description,
    schema,
  });
  return [
    param('w', 'Width in pixels; times dpr, rounded up to the next allowed size (IMAGE_SIZES).', {
      type: 'integer',
      minimum: 1,
    }),
    param('h', 'Height in pixels, as w.', { type: 'integer', minimum: 1 }),
    param('fit', 'How the image fits a w × h box; never enlarged.', {
      enum: ['inside', 'cover', 'contain', 'fill', 'outside'],
      default: 'inside',
    }),
    param(
      'format',
      'Output format; auto picks AVIF, then WebP, from Accept (Vary: Accept); json answers width, height, format, frames, animated.',
      { enum: ['auto', 'webp', 'avif', 'jpeg', 'png', 'json'] },
    ),
    param('q', 'Quality 1–100, rounded to the nearest allowed (IMAGE_QUALITIES).', {
      type: 'integer',
      minimum: 1,
      maximum: 100,
    }),
    param('dpr', 'Device-pixel ratio multiplying w and h, capped at IMAGE_MAX_DPR.', {
      type: 'number',
      exclusiveMinimum: 0,
    }),
  ];
}
const httpHeaders = [
  {
    name: 'Range',
    in: 'header',
    description: 'bytes=a-b, bytes=a-, bytes=-n, or several (multipart/byteranges).',
    schema: { type: 'string' },
  },
  { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
  { name: 'If-Range', in: 'header', schema: { type: 'string' } },
  {
    name: 'Accept-Encoding',
    in: 'header',
    description: 'br or gzip: compressible bodies are sent compressed (Vary: Accept-Encoding), never ranges.',
    schema: { type: 'string' },
  },
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
          summary:
            'Store a blob (the official publisher API), paid by the operator, or with an API key from its prepaid account.',
          parameters: paidPublishParameters,
          requestBody: { required: true, content: bytes },
          responses: {
            '200': {
              description: 'newlyCreated or alreadyCertified; a paid upload adds `receipt`.',
              content: json(withReceipt(ref('BlobStoreResult'))),
            },
            ...paidPublishErrors(400, 401, 402, 409, 413, 422, 429, 503, 504),
          },
        },
      },
      '/v1/quilts': {
        put: {
          summary: 'Store files as one quilt (multipart/form-data: one part per file, optional _metadata).',
          parameters: paidPublishParameters,
          requestBody: { required: true, content: { 'multipart/form-data': {} } },
          responses: {
            '200': {
              description: 'The quilt blob and its patches; a paid upload adds `receipt`.',
              content: json(
                withReceipt({
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
              ),
            },
            ...paidPublishErrors(400, 401, 402, 409, 413, 422, 429, 503, 504),
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
      '/v1/quote': {
        get: {
          summary:
            "The price of an upload at the chain's current prices: storage + write for the encoded size, gas, the operator's margin and fee (paid publishing).",
          parameters: [
            {
              name: 'size',
              in: 'query',
              required: true,
              description: 'Bytes of the body.',
              schema: { type: 'integer', minimum: 0 },
            },
            {
              name: 'epochs',
              in: 'query',
              description: 'Default 1.',
              schema: { type: 'integer', minimum: 1 },
            },
          ],
          responses: {
            '200': { description: 'The quote.', content: json(ref('Quote')) },
            ...accountErrors(400, 413, 503),
          },
        },
      },
      '/v1/account': {
        get: {
          summary:
            "The calling API key's account: balance, held and available amounts, and its latest history.",
          security: apiKeySecurity,
          responses: {
            '200': {
              description: 'The account (newest entries first, at most 100).',
              content: json({
                allOf: [
                  ref('Account'),
                  ref('Balance'),
                  { type: 'object', properties: { history: { type: 'array', items: ref('LedgerEntry') } } },
                ],
              }),
            },
            ...accountErrors(401, 503),
          },
        },
      },
      '/v1/account/top-ups': {
        post: {
          summary:
            'Credit a WAL transfer to the sponsor address: the transaction is read from Sui (succeeded, recipient, coin type, amount) and credited once, to the account that submits it first.',
          security: apiKeySecurity,
          requestBody: accountJsonBody({
            type: 'object',
            required: ['digest'],
            properties: {
              digest: { type: 'string', description: 'The Sui transaction digest (base58).' },
              signature: {
                type: 'string',
                description:
                  'The sender\'s Sui personal-message signature over "walrus-edge top-up DIGEST for account ID" ' +
                  '(required with TOP_UP_REQUIRE_SIGNATURE=true; checked whenever given).',
              },
            },
            additionalProperties: false,
          }),
          responses: {
            '200': {
              description: 'Credited.',
              content: json({
                allOf: [
                  ref('Balance'),
                  {
                    type: 'object',
                    required: ['digest', 'creditedFrost', 'sender'],
                    properties: {
                      digest: { type: 'string' },
                      creditedFrost: ref('Frost'),
                      sender: { type: 'string' },
                    },
                  },
                ],
              }),
            },
            ...accountErrors(400, 401, 404, 409, 422, 503),
          },
        },
      },
      '/v1/admin/accounts': {
        get: {
          summary: `List the accounts with their balances. ${adminAuth}`,
          security: adminSecurity,
          responses: {
            '200': {
              description: 'The accounts.',
              content: json({
                type: 'object',
                required: ['accounts'],
                properties: {
                  accounts: { type: 'array', items: { allOf: [ref('Account'), ref('Balance')] } },
                },
              }),
            },
            ...accountErrors(401, 403, 503),
          },
        },
        post: {
          summary: `Open an account and issue its first API key (shown this once; only its keyed hash is kept). ${adminAuth}`,
          security: adminSecurity,
          requestBody: accountJsonBody({
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              maxUploadBytes: { type: 'integer', minimum: 1 },
              uploadsPerMinute: { type: 'integer', minimum: 1, description: 'Per API key.' },
            },
            additionalProperties: false,
          }),
          responses: {
            '201': {
              description: 'The account and its API key.',
              content: json({ allOf: [ref('Account'), ref('NewApiKey')] }),
            },
            ...accountErrors(400, 401, 403, 503),
          },
        },
      },
      '/v1/admin/accounts/{id}': {
        get: {
          summary: `An account: balance, API keys (by prefix) and its latest history. ${adminAuth}`,
          security: adminSecurity,
          parameters: [pathParam('id')],
          responses: {
            '200': {
              description: 'The account (newest entries first, at most 100).',
              content: json({
                allOf: [
                  ref('Account'),
                  ref('Balance'),
                  {
                    type: 'object',
                    properties: {
                      keys: { type: 'array', items: ref('ApiKey') },
                      history: { type: 'array', items: ref('LedgerEntry') },
                    },
                  },
                ],
              }),
            },
            ...accountErrors(401, 403, 404, 503),
          },
        },
      },
      '/v1/admin/accounts/{id}/keys': {
        post: {
          summary: `Issue another API key for the account (shown this once). ${adminAuth}`,
          security: adminSecurity,
          parameters: [pathParam('id')],
          responses: {
            '201': { description: 'The key.', content: json(ref('NewApiKey')) },
            ...accountErrors(401, 403, 404, 503),
          },
        },
      },
      '/v1/admin/accounts/{id}/keys/{prefix}': {
        delete: {
          summary: `Revoke one of the account's API keys, named by its prefix. ${adminAuth}`,
          security: adminSecurity,
          parameters: [pathParam('id'), pathParam('prefix')],
          responses: { '204': { description: 'Revoked.' }, ...accountErrors(401, 403, 404, 503) },
        },
      },
      '/v1/admin/accounts/{id}/credit': {
        post: {
          summary: `Credit the account (money received off chain). ${adminAuth}`,
          security: adminSecurity,
          parameters: [pathParam('id')],
          requestBody: accountJsonBody({
            type: 'object',
            required: ['amountFrost'],
            properties: {
              amountFrost: { ...ref('Frost'), description: 'Positive, at most 2^63 − 1.' },
              note: { type: 'string', maxLength: 500 },
            },
            additionalProperties: false,
          }),
          responses: {
            '200': {
              description: 'The new balance.',
              content: json({
                allOf: [
                  { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
                  ref('Balance'),
                ],
              }),
            },
            ...accountErrors(400, 401, 403, 404, 503),
          },
        },
      },
      '/v1/admin/ledger/audit': {
        get: {
          summary: `Every account's stored balance and held amount against what its ledger entries add up to. ${adminAuth}`,
          security: adminSecurity,
          responses: {
            '200': {
              description: 'consistent, and the accounts that disagree (none in a healthy ledger).',
              content: json({
                type: 'object',
                required: ['consistent', 'mismatches'],
                properties: {
                  consistent: { type: 'boolean' },
                  mismatches: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['accountId', 'stored', 'derived'],
                      properties: {
                        accountId: { type: 'string' },
                        stored: ref('Balance'),
                        derived: ref('Balance'),
                      },
                    },
                  },
                },
              }),
            },
            ...accountErrors(401, 403, 503),
          },
        },
      },
      '/status': { get: { summary: 'Service status.', responses: { '200': { description: 'Status.' } } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (served on METRICS_PORT instead when that is set).',
          responses: { '200': { description: 'Text format.' } },
        },
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
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: "The operator's ADMIN_TOKEN." },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key of a paid account (wek_<prefix>_<secret>), PUBLISHER_AUTH=api-key.',
        },
      },
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
        Frost: {
          description:
            'An amount of FROST (1 WAL = 10^9 FROST) as a decimal string: JSON numbers lose u64 precision.',
          type: 'string',
          pattern: '^(0|[1-9][0-9]*)$',
        },
        Account: {
          type: 'object',
          required: ['id', 'name', 'createdAt'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            maxUploadBytes: { type: 'integer' },
            uploadsPerMinute: { type: 'integer' },
          },
        },
        Balance: {
          type: 'object',
          required: ['balanceFrost', 'heldFrost', 'availableFrost'],
          properties: {
            balanceFrost: { ...ref('Frost'), description: 'Credits minus settled charges.' },
            heldFrost: { ...ref('Frost'), description: 'Held by uploads in progress.' },
            availableFrost: { ...ref('Frost'), description: 'balance − held: what a new upload may take.' },
          },
        },
        NewApiKey: {
          type: 'object',
          required: ['apiKey', 'keyPrefix'],
          properties: {
            apiKey: { type: 'string', description: 'wek_<prefix>_<secret>: shown once, never again.' },
            keyPrefix: { type: 'string' },
          },
        },
        ApiKey: {
          type: 'object',
          required: ['prefix', 'createdAt'],
          properties: {
            prefix: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
            revokedAt: { type: 'string', format: 'date-time' },
          },
        },
        LedgerEntry: {
          description:
            "One entry of the account's append-only record, with its memo's fields (a note, a top-up's digest and sender, a quote, a receipt, a release's reason).",
          type: 'object',
          required: ['seq', 'kind', 'amountFrost', 'at'],
          properties: {
            seq: { type: 'string' },
            kind: { type: 'string', enum: ['credit', 'hold', 'settle', 'release'] },
            amountFrost: ref('Frost'),
            holdId: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
            receipt: ref('Receipt'),
          },
        },
        Quote: {
          type: 'object',
          required: ['size', 'epochs', 'encodedSize', 'storageUnits', 'totalFrost', 'free', 'epoch'],
          properties: {
            size: { type: 'integer' },
            epochs: { type: 'integer' },
            encodedSize: { type: 'integer', description: 'Bytes the network bills for.' },
            storageUnits: { type: 'integer', description: 'MiB of encoded size, rounded up.' },
            storageFrost: ref('Frost'),
            writeFrost: ref('Frost'),
            gasFrost: ref('Frost'),
            networkFrost: { ...ref('Frost'), description: 'storage + write + gas.' },
            marginFrost: ref('Frost'),
            feeFrost: ref('Frost'),
            totalFrost: {
              ...ref('Frost'),
              description: 'What the upload is held for; charged at most this.',
            },
            free: { type: 'boolean', description: 'Within PRICE_FREE_TIER_BYTES.' },
            epoch: { type: 'integer', description: 'The epoch the prices are from.' },
          },
        },
        Receipt: {
          description:
            'Signed by the sponsor key as a Sui personal message: verify `message` (base64 of the canonical JSON of ' +
            "the other fields) and `signature` with @mysten/sui/verify's verifyPersonalMessageSignature against `sponsor`.",
          type: 'object',
          required: [
            'version',
            'accountId',
            'blobId',
            'transactions',
            'networkCostFrost',
            'chargedFrost',
            'size',
            'epochs',
            'issuedAt',
            'sponsor',
            'message',
            'signature',
          ],
          properties: {
            version: { const: 1 },
            accountId: { type: 'string' },
            blobId: { type: 'string' },
            objectId: { type: 'string' },
            transactions: { type: 'array', items: { type: 'string' } },
            networkCostFrost: ref('Frost'),
            chargedFrost: ref('Frost'),
            size: { type: 'integer' },
            epochs: { type: 'integer' },
            idempotencyKey: { type: 'string' },
            issuedAt: { type: 'string', format: 'date-time' },
            sponsor: { type: 'string' },
            message: { type: 'string', contentEncoding: 'base64' },
            signature: { type: 'string' },
          },
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
