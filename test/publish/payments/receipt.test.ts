// Receipts signed as Sui personal messages by the sponsor key. The independent witness is
// @mysten/sui/verify itself: a receipt verifies with it alone (no project code), and every tampering
// is refused by it or by verifyReceipt's check that the visible fields are the signed ones.
import type { Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { fromBase64, toBase64 } from '@mysten/sui/utils';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { describe, expect, it } from 'vitest';
import {
  signReceipt,
  verifyReceipt,
  type ReceiptFields,
  type SignedReceipt,
} from '../../../src/publish/payments/receipt.ts';

const fieldsFor = (sponsor: string): ReceiptFields => ({
  version: 1,
  accountId: 'acct_7f3a',
  blobId: 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk',
  objectId: '0x5e1c0ffee',
  transactions: ['11111111111111111111111111111111', '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi'],
  networkCostFrost: '3339000',
  chargedFrost: '3672900',
  size: 17,
  epochs: 3,
  idempotencyKey: 'order-42',
  issuedAt: '2026-12-01T10:00:00.000Z',
  sponsor,
});

const keypairs: [string, () => Keypair][] = [
  ['Ed25519', () => new Ed25519Keypair()],
  ['Secp256k1', () => new Secp256k1Keypair()],
];

describe.each(keypairs)('receipts signed with %s', (_, newKeypair) => {
  const sponsorKey = newKeypair();
  const sponsor = sponsorKey.toSuiAddress();
  const sign = () => signReceipt(fieldsFor(sponsor), sponsorKey);

  it('verifies, and gives back the signed fields', async () => {
    const receipt = await sign();
    expect(await verifyReceipt(receipt, sponsor)).toEqual({ ok: true, fields: fieldsFor(sponsor) });
    // As it travels: through JSON and back.
    expect(await verifyReceipt(JSON.parse(JSON.stringify(receipt)), sponsor)).toMatchObject({ ok: true });
  });

  it('verifies with @mysten/sui/verify alone: the message is the canonical JSON of the fields', async () => {
    const receipt: unknown = JSON.parse(JSON.stringify(await sign()));
    // What an outside verifier does, knowing only the sponsor address and the receipt's JSON.
    const { message, signature, ...shown } = receipt as { message: string; signature: string };
    const bytes = fromBase64(message);
    const key = await verifyPersonalMessageSignature(bytes, signature, { address: sponsor });
    expect(key.toSuiAddress()).toBe(sponsor);
    const signed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    expect(signed).toEqual(shown);
    expect(Object.keys(signed)).toEqual(Object.keys(signed).sort());
    expect(signed.chargedFrost).toBe('3672900');
  });

  it('optional fields left out are not signed, and the receipt still verifies', async () => {
    const { objectId: _objectId, idempotencyKey: _key, ...required } = fieldsFor(sponsor);
    const receipt = await signReceipt(required, sponsorKey);
    const signed = JSON.parse(new TextDecoder().decode(fromBase64(receipt.message))) as object;
    expect(Object.keys(signed)).not.toContain('objectId');
    expect(await verifyReceipt(receipt, sponsor)).toEqual({ ok: true, fields: required });
  });

  it('a visible field edited, the old message kept: FIELDS_MISMATCH', async () => {
    const receipt = await sign();
    for (const edit of [
      { chargedFrost: '1' },
      { blobId: 'another-blob' },
      { transactions: [] },
      { idempotencyKey: undefined },
      { extra: 'field' },
    ]) {
      const edited = { ...receipt, ...edit };
      const result = await verifyReceipt(edited, sponsor);
      expect(result, JSON.stringify(edit)).toMatchObject({ ok: false, reason: 'FIELDS_MISMATCH' });
    }
  });

  it('the message edited (fields and message agreeing): BAD_SIGNATURE', async () => {
    const receipt = await sign();
    const cheaper = { ...fieldsFor(sponsor), chargedFrost: '1' };
    const forged: SignedReceipt = {
      ...cheaper,
      message: toBase64(new TextEncoder().encode(JSON.stringify(sortKeys(cheaper)))),
      signature: receipt.signature,
    };
    expect(await verifyReceipt(forged, sponsor)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    // The outside verifier refuses it too.
    await expect(
      verifyPersonalMessageSignature(fromBase64(forged.message), forged.signature, { address: sponsor }),
    ).rejects.toThrow();
  });

  it('the signature edited or missing: BAD_SIGNATURE or MALFORMED_RECEIPT', async () => {
    const receipt = await sign();
    const raw = fromBase64(receipt.signature);
    raw[10] = raw[10]! ^ 0xff;
    expect(await verifyReceipt({ ...receipt, signature: toBase64(raw) }, sponsor)).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    expect(await verifyReceipt({ ...receipt, signature: 'garbage' }, sponsor)).toMatchObject({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    const { signature: _signature, ...unsigned } = receipt;
    expect(await verifyReceipt(unsigned, sponsor)).toMatchObject({ ok: false, reason: 'MALFORMED_RECEIPT' });
    expect(await verifyReceipt('a receipt', sponsor)).toMatchObject({
      ok: false,
      reason: 'MALFORMED_RECEIPT',
    });
  });

  it('checked against another sponsor: BAD_SIGNATURE', async () => {
    const receipt = await sign();
    const other = newKeypair().toSuiAddress();
    expect(await verifyReceipt(receipt, other)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('signed by the sponsor key but naming another sponsor: refused when signing and when verifying', async () => {
    const other = newKeypair().toSuiAddress();
    await expect(signReceipt(fieldsFor(other), sponsorKey)).rejects.toThrow(/sponsor/);
    // Built by hand: the sponsor key signs fields that name someone else.
    const fields = fieldsFor(other);
    const bytes = new TextEncoder().encode(JSON.stringify(sortKeys(fields)));
    const { signature } = await sponsorKey.signPersonalMessage(bytes);
    const receipt = { ...fields, message: toBase64(bytes), signature };
    expect(await verifyReceipt(receipt, sponsor)).toMatchObject({ ok: false, reason: 'WRONG_SPONSOR' });
  });

  it('a signed message that is no canonical receipt: MALFORMED_MESSAGE', async () => {
    const fields = fieldsFor(sponsor);
    for (const text of [
      'not json',
      JSON.stringify({ ...sortKeys(fields), chargedFrost: 12 }),
      JSON.stringify(fields, null, 2), // the fields, but not in canonical form
    ]) {
      const bytes = new TextEncoder().encode(text);
      const { signature } = await sponsorKey.signPersonalMessage(bytes);
      expect(
        await verifyReceipt({ ...fields, message: toBase64(bytes), signature }, sponsor),
        text,
      ).toMatchObject({
        ok: false,
        reason: 'MALFORMED_MESSAGE',
      });
    }
  });
});

it('refuses to sign fields that are no receipt', async () => {
  const key = new Ed25519Keypair();
  const fields = fieldsFor(key.toSuiAddress());
  await expect(signReceipt({ ...fields, chargedFrost: '-1' }, key)).rejects.toThrow(TypeError);
  await expect(signReceipt({ ...fields, issuedAt: 'yesterday' }, key)).rejects.toThrow(TypeError);
});

/** The test's own canonical form: keys sorted (the fields are flat). */
function sortKeys(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
}
