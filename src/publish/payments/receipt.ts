// A receipt for a paid upload that anyone can check offline: its fields, the exact bytes the sponsor
// key signed (the fields as canonical JSON, keys sorted), and that signature as a Sui personal
// message. `verifyPersonalMessageSignature(message, signature, { address: sponsor })` from
// `@mysten/sui/verify` is all a verifier needs; `verifyReceipt` adds that the fields shown beside the
// message are the ones signed (a receipt whose `chargedFrost` was edited, message kept, is refused).
import type { Signer } from '@mysten/sui/cryptography';
import { isValidPersonalMessageSignature } from '@mysten/sui/verify';
import { fromBase64, isValidSuiAddress, normalizeSuiAddress, toBase64 } from '@mysten/sui/utils';
import { z } from 'zod';

export interface ReceiptFields {
  version: 1;
  accountId: string;
  blobId: string;
  objectId?: string;
  /** The Sui digests of the upload's transactions (register, certify). */
  transactions: string[];
  /** What the network (WAL and gas) cost the operator, FROST as a decimal string. */
  networkCostFrost: string;
  /** What the account was charged, FROST as a decimal string. */
  chargedFrost: string;
  size: number;
  epochs: number;
  idempotencyKey?: string;
  /** ISO 8601. */
  issuedAt: string;
  /** The Sui address whose key signed the receipt. */
  sponsor: string;
}

export type SignedReceipt = ReceiptFields & {
  /** Standard base64 of the exact bytes signed: `canonicalReceiptJson(fields)` in UTF-8. */
  message: string;
  /** The Sui serialized signature (flag ‖ signature ‖ public key, base64) of that personal message. */
  signature: string;
};

export type ReceiptRefusal =
  /** No receipt shape: message or signature missing or not strings, or the message no base64. */
  | 'MALFORMED_RECEIPT'
  /** The signature does not verify for the expected sponsor over the message. */
  | 'BAD_SIGNATURE'
  /** The signed bytes are not the canonical JSON of receipt fields. */
  | 'MALFORMED_MESSAGE'
  /** Signed by the expected sponsor, but naming another one. */
  | 'WRONG_SPONSOR'
  /** The fields shown beside the message differ from the ones signed. */
  | 'FIELDS_MISMATCH';

export type ReceiptVerification =
  { ok: true; fields: ReceiptFields } | { ok: false; reason: ReceiptRefusal; message: string };

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/);
const count = z.number().int().nonnegative();
const receiptFieldsSchema = z.strictObject({
  version: z.literal(1),
  accountId: z.string(),
  blobId: z.string(),
  objectId: z.string().optional(),
  transactions: z.array(z.string()),
  networkCostFrost: decimal,
  chargedFrost: decimal,
  size: count,
  epochs: count,
  idempotencyKey: z.string().optional(),
  issuedAt: z.iso.datetime(),
  sponsor: z.string().refine(isValidSuiAddress),
});

/** The signed text: the fields' JSON with keys in code-point order at every level, no whitespace. */
export function canonicalReceiptJson(fields: ReceiptFields): string {
  return JSON.stringify(sortedKeys(fields));
}

/** Signs `fields` with the sponsor key, whose address they must name. */
export async function signReceipt(fields: ReceiptFields, signer: Signer): Promise<SignedReceipt> {
  const parsed = receiptFieldsSchema.safeParse(fields);
  if (!parsed.success) throw new TypeError(`no receipt fields: ${z.prettifyError(parsed.error)}`);
  if (normalizeSuiAddress(fields.sponsor) !== signer.toSuiAddress()) {
    throw new Error(`the receipt names sponsor ${fields.sponsor}, the signer is ${signer.toSuiAddress()}`);
  }
  const bytes = new TextEncoder().encode(canonicalReceiptJson(parsed.data));
  const { signature } = await signer.signPersonalMessage(bytes);
  return { ...parsed.data, message: toBase64(bytes), signature };
}

/**
 * Checks a receipt from anywhere (a JSON body, a database row): signed by `expectedSponsor` over
 * its message, the message canonical receipt fields naming that sponsor, and the fields beside the
 * message equal to the signed ones. Never throws.
 */
export async function verifyReceipt(receipt: unknown, expectedSponsor: string): Promise<ReceiptVerification> {
  const refuse = (reason: ReceiptRefusal, message: string) => ({ ok: false, reason, message }) as const;
  if (typeof receipt !== 'object' || receipt === null)
    return refuse('MALFORMED_RECEIPT', 'no receipt object');
  const { message, signature, ...visible } = receipt as Record<string, unknown>;
  if (typeof message !== 'string' || typeof signature !== 'string') {
    return refuse('MALFORMED_RECEIPT', 'the receipt has no message and signature strings');
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(message);
  } catch {
    return refuse('MALFORMED_RECEIPT', 'the message is no base64');
  }
  const sponsor = normalizeSuiAddress(expectedSponsor);
  const signed = await isValidPersonalMessageSignature(bytes, signature, { address: sponsor }).catch(
    () => false,
  );
  if (!signed) return refuse('BAD_SIGNATURE', `the signature is not ${sponsor}'s over the message`);

  let text: string;
  let json: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    json = JSON.parse(text);
  } catch {
    return refuse('MALFORMED_MESSAGE', 'the signed message is no JSON');
  }
  const parsed = receiptFieldsSchema.safeParse(json);
  if (!parsed.success) {
    return refuse('MALFORMED_MESSAGE', `the signed message is no receipt: ${z.prettifyError(parsed.error)}`);
  }
  const fields = parsed.data;
  if (canonicalReceiptJson(fields) !== text) {
    return refuse('MALFORMED_MESSAGE', 'the signed message is not in canonical form');
  }
  if (normalizeSuiAddress(fields.sponsor) !== sponsor) {
    return refuse('WRONG_SPONSOR', `the receipt names sponsor ${fields.sponsor}, not ${sponsor}`);
  }
  if (JSON.stringify(sortedKeys(visible)) !== text) {
    return refuse('FIELDS_MISMATCH', 'the receipt shows fields other than the ones signed');
  }
  return { ok: true, fields };
}

/** `value` with every object's keys sorted and undefined members dropped, as JSON.stringify writes it. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, member]) => [key, sortedKeys(member)]));
}
