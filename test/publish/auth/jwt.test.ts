// JWT authentication as the official publisher does it (claims, order of checks, statuses and
// reasons from walrus-service daemon/auth.rs), with the keys pinned to their algorithms and `jti`
// single use across edge instances through the real Redis at 127.0.0.1:6379 (no Redis: the tests fail).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, base64url, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtAuthorizer } from '../../../src/publish/auth/jwt-authorizer.ts';
import { JwtKeyError, jwtVerificationKeys } from '../../../src/publish/auth/jwt-keys.ts';
import { publisherAuthorizer } from '../../../src/publish/auth/publisher-authorizer.ts';
import { memoryReplayGuard, redisReplayGuard } from '../../../src/publish/auth/replay-guard.ts';
import {
  grantBodyRefusal,
  type AuthDecision,
  type PublishAuthorizer,
} from '../../../src/publish/publish-auth.ts';

const SECRET = 'operator-secret-for-tests-0123456789';
const ADDRESS = '0x' + '2a'.repeat(32);
const OTHER_ADDRESS = '0x' + '11'.repeat(32);
const now = () => Math.floor(Date.now() / 1000);

let redis: Redis;
const prefix = `walrus-edge-test:${randomUUID()}:`;

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect(); // rejects without Redis: these tests need the real one
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function hsAuthorizer(): Promise<PublishAuthorizer> {
  return jwtAuthorizer({
    keys: await jwtVerificationKeys({ secret: SECRET }),
    replayGuard: redisReplayGuard(redis, prefix),
  });
}

function hs256(claims: JWTPayload, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

const fresh = (extra: JWTPayload = {}): JWTPayload => ({ jti: randomUUID(), exp: now() + 600, ...extra });

function put(token: string | undefined, query = '', headers: Record<string, string> = {}): Request {
  return new Request(`http://edge.test/v1/blobs${query}`, {
    method: 'PUT',
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
}

function expectRefusal(decision: AuthDecision, status: number, reason: string) {
  expect(decision.ok).toBe(false);
  if (decision.ok) return;
  expect({ status: decision.status, reason: decision.reason }).toEqual({ status, reason });
}

describe('JWT authorizer (HS256)', () => {
  it('grants a valid token, with its size and epoch limits for the route to enforce', async () => {
    const auth = await hsAuthorizer();
    const token = await hs256(fresh({ sub: 'customer-7', max_size: 1000, max_epochs: 5 }));
    const decision = await auth(put(token, '?epochs=3', { 'content-length': '999' }));
    expect(decision).toEqual({ ok: true, grant: { subject: 'customer-7', maxSize: 1000, maxEpochs: 5 } });
  });

  it('refuses an expired token with the official EXPIRED_SIGNATURE (504), past the 60 s leeway only', async () => {
    const auth = await hsAuthorizer();
    expectRefusal(await auth(put(await hs256(fresh({ exp: now() - 120 })))), 504, 'EXPIRED_SIGNATURE');
    // Not valid yet (nbf): refused as jsonwebtoken's ImmatureSignature is, INVALID_SIGNATURE.
    expectRefusal(await auth(put(await hs256(fresh({ nbf: now() + 600 })))), 401, 'INVALID_SIGNATURE');
    // Within jsonwebtoken's default leeway the official publisher still accepts it; so do we.
    expect((await auth(put(await hs256(fresh({ exp: now() - 5 }))))).ok).toBe(true);
  });

  it('refuses tokens without exp or jti, and requests without a bearer token', async () => {
    const auth = await hsAuthorizer();
    expectRefusal(await auth(put(await hs256({ jti: randomUUID() }))), 400, 'INVALID_TOKEN');
    expectRefusal(await auth(put(await hs256({ exp: now() + 600 }))), 400, 'INVALID_TOKEN');
    expectRefusal(
      await auth(put(await hs256(fresh({ jti: 42 as unknown as string })))),
      400,
      'INVALID_TOKEN',
    );
    expectRefusal(await auth(put(undefined)), 400, 'MISSING_AUTHORIZATION');
    expectRefusal(await auth(put('not.a.jwt')), 400, 'INVALID_TOKEN');
  });

  it('refuses a token signed with another key, or with its payload changed after signing', async () => {
    const auth = await hsAuthorizer();
    expectRefusal(await auth(put(await hs256(fresh(), 'another-secret'))), 401, 'INVALID_SIGNATURE');
    const token = await hs256(fresh({ max_epochs: 1 }));
    const [header, , signature] = token.split('.');
    const forged = base64url.encode(JSON.stringify(fresh({ max_epochs: 1000 })));
    expectRefusal(
      await auth(put(`${header}.${forged}.${signature}`, '?epochs=1000')),
      401,
      'INVALID_SIGNATURE',
    );
  });

  it('refuses algorithms the key is not pinned to: none, HS512, and HS256 against a public key', async () => {
    const auth = await hsAuthorizer();
    const claims = base64url.encode(JSON.stringify(fresh()));
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${claims}.`;
    expectRefusal(await auth(put(none)), 400, 'INVALID_TOKEN');
    expectRefusal(await auth(put(await hs256(fresh(), SECRET, 'HS512'))), 400, 'INVALID_TOKEN');

    // The public key's PEM text used as an HMAC secret: the classic confusion attack.
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const es = jwtAuthorizer({
      keys: await jwtVerificationKeys({ publicKey: pem }),
      replayGuard: memoryReplayGuard(),
    });
    expectRefusal(await es(put(await hs256(fresh(), pem))), 400, 'INVALID_TOKEN');
  });

  it('blocks a jti replayed at a second edge instance sharing Redis (TOKEN_ALREADY_USED, 429)', async () => {
    const first = await hsAuthorizer();
    const second = await hsAuthorizer();
    const token = await hs256(fresh());
    expect((await first(put(token))).ok).toBe(true);
    expectRefusal(await second(put(token)), 429, 'TOKEN_ALREADY_USED');
    expectRefusal(await first(put(token)), 429, 'TOKEN_ALREADY_USED');
    // Redis forgets the ID once the token could not verify anyway (exp + leeway).
    const { jti, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      jti: string;
      exp: number;
    };
    const expiresAt = Number(await redis.call('PEXPIRETIME', `${prefix}jwt-jti:${jti}`));
    expect(expiresAt).toBe((exp + 60) * 1000);
  });

  it('checks epochs / max_epochs against the query (default 1), and gives the jti back when it refuses', async () => {
    const auth = await hsAuthorizer();
    const capped = await hs256(fresh({ max_epochs: 5 }));
    expectRefusal(await auth(put(capped, '?epochs=6')), 400, 'INVALID_EPOCHS');
    // The refusal did not use the token up: the corrected request passes.
    expect((await auth(put(capped, '?epochs=5'))).ok).toBe(true);

    const exact = await hs256(fresh({ epochs: 3 }));
    expectRefusal(await auth(put(exact)), 400, 'INVALID_EPOCHS'); // no epochs = 1
    expectRefusal(await auth(put(exact, '?epochs=2')), 400, 'INVALID_EPOCHS');
    expect(await auth(put(exact, '?epochs=3'))).toMatchObject({ ok: true, grant: { exactEpochs: 3 } });

    const both = await hs256(fresh({ epochs: 3, max_epochs: 5 }));
    expectRefusal(await auth(put(both, '?epochs=3')), 400, 'INCONSISTENT_TOKEN');
  });

  it('checks send_object_to: it must be in the query and name the same address', async () => {
    const auth = await hsAuthorizer();
    const token = await hs256(fresh({ send_object_to: ADDRESS }));
    expectRefusal(await auth(put(token, `?send_object_to=${OTHER_ADDRESS}`)), 400, 'INVALID_SEND_OBJECT_TO');
    expectRefusal(await auth(put(token)), 400, 'INVALID_SEND_OBJECT_TO');
    // The same address written differently (upper case) is the same address.
    expect(
      await auth(put(token, `?send_object_to=${ADDRESS.toUpperCase().replace('0X', '0x')}`)),
    ).toMatchObject({
      ok: true,
      grant: { sendObjectTo: ADDRESS },
    });
  });

  it('refuses a Content-Length over max_size or other than size up front; a chunked body is left to the grant', async () => {
    const auth = await hsAuthorizer();
    const capped = await hs256(fresh({ max_size: 100 }));
    expectRefusal(await auth(put(capped, '', { 'content-length': '101' })), 400, 'INVALID_SIZE');
    const exact = await hs256(fresh({ size: 1000 }));
    expectRefusal(await auth(put(exact, '', { 'content-length': '999' })), 400, 'INVALID_SIZE');
    expectRefusal(await auth(put(exact, '', { 'content-length': '1001' })), 400, 'INVALID_SIZE');
    expectRefusal(await auth(put(await hs256(fresh({ size: 1, max_size: 2 })))), 400, 'INCONSISTENT_TOKEN');

    // Chunked (no Content-Length): granted, and the grant refuses the body once it passes the claim.
    const decision = await auth(put(capped));
    expect(decision).toMatchObject({ ok: true, grant: { maxSize: 100 } });
    if (!decision.ok) return;
    expect(grantBodyRefusal(decision.grant, 100, false)).toBeUndefined();
    expect(grantBodyRefusal(decision.grant, 101, false)).toMatchObject({
      status: 400,
      reason: 'INVALID_SIZE',
    });
    const exactGrant = { exactSize: 1000 };
    expect(grantBodyRefusal(exactGrant, 999, false)).toBeUndefined();
    expect(grantBodyRefusal(exactGrant, 999, true)).toMatchObject({ status: 400, reason: 'INVALID_SIZE' });
    expect(grantBodyRefusal(exactGrant, 1000, true)).toBeUndefined();
  });

  it('refuses when the replay store cannot answer (503), rather than letting a token be used twice', async () => {
    const down = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const auth = jwtAuthorizer({
      keys: await jwtVerificationKeys({ secret: SECRET }),
      replayGuard: redisReplayGuard(down, prefix),
    });
    expectRefusal(await auth(put(await hs256(fresh()))), 503, 'REPLAY_CHECK_UNAVAILABLE');
    down.disconnect();
  });

  it("accepts tokens for the official publisher's 0x-hex secrets", async () => {
    const hex = '0x' + 'ab'.repeat(32);
    const auth = jwtAuthorizer({
      keys: await jwtVerificationKeys({ secret: hex }),
      replayGuard: memoryReplayGuard(),
    });
    const token = await new SignJWT(fresh())
      .setProtectedHeader({ alg: 'HS256' })
      .sign(Uint8Array.from({ length: 32 }, () => 0xab));
    expect((await auth(put(token))).ok).toBe(true);
  });
});

describe('JWT authorizer (public keys)', () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`verifies ${alg} tokens with the public key as PEM and as JWK; another key of the type fails`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const other = await generateKeyPair(alg);
      for (const text of [await exportSPKI(publicKey), JSON.stringify(await exportJWK(publicKey))]) {
        const auth = jwtAuthorizer({
          keys: await jwtVerificationKeys({ publicKey: text }),
          replayGuard: redisReplayGuard(redis, prefix),
        });
        const sign = (key: typeof privateKey, claims = fresh()) =>
          new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
        expect((await auth(put(await sign(privateKey)))).ok).toBe(true);
        expectRefusal(await auth(put(await sign(other.privateKey))), 401, 'INVALID_SIGNATURE');
        expectRefusal(
          await auth(put(await sign(privateKey, fresh({ exp: now() - 300 })))),
          504,
          'EXPIRED_SIGNATURE',
        );
        // A secret-keyed token is not checked against a public key at all.
        expectRefusal(await auth(put(await hs256(fresh()))), 400, 'INVALID_TOKEN');
      }
    });
  }

  it('with both a secret and a public key, each algorithm is checked against its own key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const auth = jwtAuthorizer({
      keys: await jwtVerificationKeys({ secret: SECRET, publicKey: await exportSPKI(publicKey) }),
      replayGuard: memoryReplayGuard(),
    });
    expect((await auth(put(await hs256(fresh())))).ok).toBe(true);
    expect(
      (await auth(put(await new SignJWT(fresh()).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey)))).ok,
    ).toBe(true);
  });

  it('refuses keys it cannot use: private JWKs, RSA, garbage', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(
      jwtVerificationKeys({ publicKey: JSON.stringify(await exportJWK(privateKey)) }),
    ).rejects.toThrow(/private JWK/);
    const rsa = await generateKeyPair('RS256', { extractable: true });
    await expect(jwtVerificationKeys({ publicKey: await exportSPKI(rsa.publicKey) })).rejects.toThrow(
      JwtKeyError,
    );
    await expect(jwtVerificationKeys({ publicKey: 'hello' })).rejects.toThrow(JwtKeyError);
  });
});

describe('PUBLISHER_AUTH at start-up', () => {
  it('refuses JWT mode without a verification key (the official publisher would skip the signature check)', async () => {
    const setup = await publisherAuthorizer({
      mode: 'jwt',
      network: 'devnet',
      replayGuard: memoryReplayGuard(),
    });
    expect(setup).toEqual({ ok: false, error: expect.stringMatching(/JWT_SECRET .*JWT_PUBLIC_KEY/) });
    expect(() => jwtAuthorizer({ keys: [], replayGuard: memoryReplayGuard() })).toThrow(/verification key/);
  });

  it('is open by default only on the devnet; testnet and mainnet must say so', async () => {
    const devnet = await publisherAuthorizer({ mode: undefined, network: 'devnet' });
    expect(devnet).toMatchObject({ ok: true, mode: 'none' });
    if (devnet.ok) expect((await devnet.authorizer(put(undefined))).ok).toBe(true);
    for (const network of ['testnet', 'mainnet'] as const) {
      expect(await publisherAuthorizer({ mode: undefined, network })).toEqual({
        ok: false,
        error: expect.stringContaining(
          "an open publisher spends the operator's WAL for anyone on the internet; set PUBLISHER_AUTH=none to allow it",
        ),
      });
      expect(await publisherAuthorizer({ mode: 'none', network })).toMatchObject({ ok: true, mode: 'none' });
    }
  });

  it('builds the JWT authorizer from the configuration; API-key modes refuse to start without a ledger', async () => {
    const setup = await publisherAuthorizer({
      mode: 'jwt',
      network: 'mainnet',
      jwtSecret: SECRET,
      replayGuard: redisReplayGuard(redis, prefix),
    });
    expect(setup).toMatchObject({ ok: true, mode: 'jwt' });
    if (setup.ok) {
      expectRefusal(await setup.authorizer(put(undefined)), 400, 'MISSING_AUTHORIZATION');
      expect((await setup.authorizer(put(await hs256(fresh())))).ok).toBe(true);
    }
    for (const mode of ['api-key', 'jwt,api-key', 'api-key,jwt'] as const) {
      expect(await publisherAuthorizer({ mode, network: 'devnet', jwtSecret: SECRET })).toEqual({
        ok: false,
        error: expect.stringContaining('needs the ledger of accounts'),
      });
    }
    expect(await publisherAuthorizer({ mode: 'none', network: 'devnet', jwtSecret: SECRET })).toMatchObject({
      ok: true,
      warnings: [expect.stringContaining('not checked')],
    });
  });
});
