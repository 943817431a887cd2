// The devnet chain over HTTP/JSON, at committee.json's chainUrl. Not Sui's RPC: a small API for the
// edge, the CLI and tests (documented in README). Errors are AIP-193, like everything else we serve.
import { Hono } from 'hono';
import { z } from 'zod';
import { base64ToBytes } from '../../protocol/base64.ts';
import { InvalidIdError } from '../../protocol/blob-id.ts';
import { apiError } from '../../protocol/status.ts';
import { ChainError, type DevnetLedger } from './ledger.ts';

const DOMAIN = 'devnet.chain';
const objectId = z.string().regex(/^0x[0-9a-f]{64}$/);
// The regex alone lets through strings atob() refuses ('A', 'AB='), which would surface as a 500.
const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/)
  .refine(decodesAsBase64, 'not valid base64');

const RegisterBody = z.object({
  sender: objectId,
  rootHash: base64,
  size: z.number().int().nonnegative(),
  epochs: z.number().int().positive(),
  deletable: z.boolean().default(false),
  encodingType: z.number().int().default(1),
});
const CertifyBody = z.object({
  signers: z.array(z.number().int().nonnegative()).min(1),
  serializedMessage: base64,
  signature: base64,
});
const SenderBody = z.object({ sender: objectId });
const ExtendBody = SenderBody.extend({ epochs: z.number().int().positive() });
const AttributesBody = SenderBody.extend({
  set: z.record(z.string(), z.string()).default({}),
  remove: z.array(z.string()).default([]),
});

export function createChainApp(ledger: DevnetLedger): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof ChainError) {
      return c.json(
        apiError(error.httpStatus, error.reason, error.message, {}, DOMAIN),
        error.httpStatus as 400,
      );
    }
    if (error instanceof InvalidIdError) {
      return c.json(apiError(400, 'INVALID_BLOB_ID', error.message, {}, DOMAIN), 400);
    }
    if (error instanceof z.ZodError || error instanceof SyntaxError) {
      return c.json(apiError(400, 'INVALID_REQUEST', error.message, {}, DOMAIN), 400);
    }
    return c.json(apiError(500, 'INTERNAL', 'internal error', {}, DOMAIN), 500);
  });
  app.notFound((c) =>
    c.json(apiError(404, 'ROUTE_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, {}, DOMAIN), 404),
  );

  app.get('/v1/state', (c) =>
    c.json({ epoch: ledger.epoch, epochStartedAtMs: ledger.epochStartedAtMs, params: ledger.params }),
  );
  app.get('/v1/committee', (c) => c.json(ledger.committee));
  app.get('/v1/quote', (c) => {
    const size = z.coerce.number().int().nonnegative().parse(c.req.query('size'));
    const epochs = z.coerce
      .number()
      .int()
      .positive()
      .parse(c.req.query('epochs') ?? '1');
    return c.json(ledger.quote(size, epochs));
  });

  app.post('/v1/accounts', async (c) => {
    const body = z.object({ address: objectId.optional() }).parse(await jsonBody(c.req.raw));
    return c.json(ledger.fundAccount(body.address), 201);
  });
  app.get('/v1/accounts/:address', (c) => c.json(ledger.getAccount(c.req.param('address'))));

  app.post('/v1/blobs', async (c) => {
    const body = RegisterBody.parse(await jsonBody(c.req.raw));
    return c.json(ledger.registerBlob({ ...body, rootHash: base64ToBytes(body.rootHash) }), 201);
  });
  app.get('/v1/blobs/:objectId', (c) => c.json(ledger.getBlob(objectId.parse(c.req.param('objectId')))));
  app.post('/v1/blobs/:objectId/certify', async (c) => {
    const body = CertifyBody.parse(await jsonBody(c.req.raw));
    const certificate = {
      signers: body.signers,
      serializedMessage: base64ToBytes(body.serializedMessage),
      signature: base64ToBytes(body.signature),
    };
    return c.json(ledger.certifyBlob(objectId.parse(c.req.param('objectId')), certificate));
  });
  app.post('/v1/blobs/:objectId/extend', async (c) => {
    const body = ExtendBody.parse(await jsonBody(c.req.raw));
    return c.json(ledger.extendBlob(objectId.parse(c.req.param('objectId')), body.sender, body.epochs));
  });
  app.post('/v1/blobs/:objectId/delete', async (c) => {
    const body = SenderBody.parse(await jsonBody(c.req.raw));
    return c.json(ledger.deleteBlob(objectId.parse(c.req.param('objectId')), body.sender));
  });
  app.put('/v1/blobs/:objectId/attributes', async (c) => {
    const body = AttributesBody.parse(await jsonBody(c.req.raw));
    return c.json(
      ledger.setAttributes(objectId.parse(c.req.param('objectId')), body.sender, body.set, body.remove),
    );
  });

  app.get('/v1/blob-ids/:blobId', (c) => {
    const blobId = c.req.param('blobId');
    return c.json({ blobId, status: ledger.blobStatus(blobId), objects: ledger.blobsById(blobId) });
  });

  app.get('/v1/events', (c) => {
    const after = z.coerce
      .number()
      .int()
      .default(-1)
      .parse(c.req.query('after') ?? '-1');
    const limit = z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .parse(c.req.query('limit') ?? '100');
    return c.json({ events: ledger.eventsAfter(after, limit) });
  });
  app.post('/v1/epoch/advance', (c) => c.json({ epoch: ledger.advanceEpoch() }));

  return app;
}

function decodesAsBase64(text: string): boolean {
  try {
    base64ToBytes(text);
    return true;
  } catch {
    return false;
  }
}

async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  return text ? JSON.parse(text) : {};
}
