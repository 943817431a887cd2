// PUT /v1/blobs behind PUBLISHER_AUTH=jwt: the routes ask the authorizer before reading the body and
// hold the upload to the token's grant (size / max_size also for chunked bodies, epochs,
// send_object_to) with the official publisher's reasons; nothing is registered or paid for a refused
// upload (the wallet's balances, by Sui's own account).
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import {
  objectOwner,
  publisherWallet,
  publishingSetup,
  putBlob,
  putNewlyCreated,
  walletBalances,
} from '../support/publishing.ts';

const SECRET = 'publish-grants-test-secret-0123456789';
const EDGE_LIMIT = 64 * 1024;
const setup = publishingSetup(
  'publish-grants',
  { nodes: 11, shards: 100 },
  { PUBLISHER_AUTH: 'jwt', JWT_SECRET: SECRET, PUBLISH_MAX_BLOB_BYTES: String(EDGE_LIMIT) },
);
let tokens = 0;

async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(`grant-test-${++tokens}`)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
}

/** Several chunks, no Content-Length: the size is known only while reading. */
const chunked = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 1024) controller.enqueue(bytes.slice(at, at + 1024));
      controller.close();
    },
  });

const put = (query: string, body: BodyInit | Uint8Array, jwt?: string) =>
  putBlob(setup.edge, query, body, { jwt });

const walletFunds = () => walletBalances(setup.devnet, publisherWallet(setup.dataDir).address);

describe('PUT /v1/blobs with PUBLISHER_AUTH=jwt', () => {
  it('without a token: refused before the body is read', async () => {
    const answer = await put('', randomBytes(100, 3001));
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('MISSING_AUTHORIZATION');
  });

  it("a chunked body past the token's max_size is refused (INVALID_SIZE) with nothing paid", async () => {
    const before = await walletFunds();
    const answer = await put('', chunked(randomBytes(5_000, 3002)), await token({ max_size: 1_000 }));
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('INVALID_SIZE');
    expect(await walletFunds()).toEqual(before);
  });

  it("a chunked body shorter than the token's exact size is refused (INVALID_SIZE)", async () => {
    const answer = await put('', chunked(randomBytes(400, 3003)), await token({ size: 500 }));
    expect(answer.status).toBe(400);
    expect(answer.reason).toBe('INVALID_SIZE');
  });

  it("the edge's own limit still applies to a token that allows more: 413", async () => {
    const answer = await put(
      '',
      chunked(randomBytes(EDGE_LIMIT + 1, 3004)),
      await token({ max_size: 10 * EDGE_LIMIT }),
    );
    expect(answer.status).toBe(413);
  });

  it('a Content-Length over the edge limit is 413 before the token is looked at: the token stays usable', async () => {
    const jwt = await token({ max_size: 10 * EDGE_LIMIT });
    const refused = await put('', randomBytes(EDGE_LIMIT + 1, 3006), jwt);
    expect(refused.status).toBe(413);
    const stored = await put('', randomBytes(2_000, 3007), jwt);
    expect(stored.status, JSON.stringify(stored.json)).toBe(200);
    // Single use all the same, once it was spent.
    expect((await put('', randomBytes(2_000, 3008), jwt)).reason).toBe('TOKEN_ALREADY_USED');
  });

  it('the token fixes epochs and the recipient: a matching upload is stored and sent there, others refused', async () => {
    const recipient = new Ed25519Keypair().toSuiAddress();
    const claims = { epochs: 2, send_object_to: recipient, size: 3_000 };
    const data = randomBytes(3_000, 3005);
    const wrongEpochs = await put(`?epochs=3&send_object_to=${recipient}`, data, await token(claims));
    expect(wrongEpochs.reason).toBe('INVALID_EPOCHS');
    const noRecipient = await put('?epochs=2', data, await token(claims));
    expect(noRecipient.reason).toBe('INVALID_SEND_OBJECT_TO');
    const stored = await putNewlyCreated(setup.edge, `?epochs=2&send_object_to=${recipient}`, chunked(data), {
      jwt: await token(claims),
    });
    expect(await objectOwner(setup.devnet, stored.blobObject.id)).toBe(recipient);
  });
});
