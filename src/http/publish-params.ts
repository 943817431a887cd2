// The query of PUT /v1/blobs and PUT /v1/quilts, read as the official publisher reads it
// (publisher_openapi.yaml): `epochs` (default 1), `permanent` or the deprecated `deletable` (not both;
// blobs are deletable by default since v1.33), `send_object_to` or `share` (not both), `force`,
// `encoding_type` (RS2 only), `quilt_version` (v1). Unknown parameters are tolerated (cache busters,
// newer clients' options), unlike the official service. Checked against the caller's grant (JWT
// claims) too, so both kinds of refusal come from one place.
import type { PublishGrant } from '../publish/publish-auth.ts';

export interface PublishParams {
  epochs: number;
  deletable: boolean;
  sendObjectTo?: string;
  share: boolean;
  force: boolean;
}

export type ParamsResult =
  { ok: true; params: PublishParams } | { ok: false; reason: string; message: string };

/** u32, as the spec types `epochs`; the network's own maximum is checked by the publisher. */
const MAX_U32 = 2 ** 32 - 1;

function flag(query: URLSearchParams, name: string): boolean | undefined | string {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return `${name} must be true or false, got ${JSON.stringify(value)}`;
}

export function publishParams(query: URLSearchParams): ParamsResult {
  const bad = (message: string, reason = 'INVALID_PARAMETER'): ParamsResult => ({
    ok: false,
    reason,
    message,
  });
  const flags: Record<string, boolean | undefined> = {};
  for (const name of ['permanent', 'deletable', 'share', 'force', 'reuse_resources']) {
    const value = flag(query, name);
    if (typeof value === 'string') return bad(value);
    flags[name] = value;
  }

  const epochsText = query.get('epochs');
  let epochs = 1;
  if (epochsText !== null) {
    if (!/^\d{1,10}$/.test(epochsText) || Number(epochsText) > MAX_U32)
      return bad(`epochs must be a whole number, got ${JSON.stringify(epochsText)}`, 'INVALID_EPOCHS');
    epochs = Number(epochsText);
    if (epochs === 0) return bad('epochs must be at least 1', 'INVALID_EPOCHS');
  }

  if (flags.permanent && flags.deletable)
    return bad('a blob cannot be both deletable and permanent', 'DELETABLE_AND_PERMANENT');

  const encoding = query.get('encoding_type');
  if (encoding !== null && encoding !== 'RS2')
    return bad(
      `encoding_type ${JSON.stringify(encoding)} is not supported; RS2 is`,
      'UNSUPPORTED_ENCODING_TYPE',
    );

  const quiltVersion = query.get('quilt_version');
  if (quiltVersion !== null && !['v1', 'V1', '1'].includes(quiltVersion))
    return bad(
      `quilt_version ${JSON.stringify(quiltVersion)} is not supported; v1 is`,
      'UNSUPPORTED_QUILT_VERSION',
    );

  const sendText = query.get('send_object_to');
  let sendObjectTo: string | undefined;
  if (sendText !== null) {
    if (!/^0x[0-9a-fA-F]{1,64}$/.test(sendText))
      return bad(
        `send_object_to must be a Sui address (0x and up to 64 hex digits), got ${JSON.stringify(sendText)}`,
      );
    sendObjectTo = `0x${sendText.slice(2).toLowerCase().padStart(64, '0')}`;
  }
  if (sendObjectTo && flags.share)
    return bad('send_object_to and share exclude each other', 'SEND_AND_SHARE');

  return {
    ok: true,
    params: {
      epochs,
      deletable: !flags.permanent,
      sendObjectTo,
      share: flags.share ?? false,
      force: flags.force ?? false,
    },
  };
}

/**
 * What the grant's limits say of these parameters, with the official publisher's reasons (its JWT
 * upload checks; the JWT authorizer refuses the same before us, other authorizers rely on this). The
 * body's size is checked while it is read (grantBodyRefusal).
 */
export function grantRefusal(
  grant: PublishGrant,
  params: PublishParams,
): { reason: string; message: string } | undefined {
  if (grant.exactEpochs !== undefined && params.epochs !== grant.exactEpochs)
    return {
      reason: 'INVALID_EPOCHS',
      message: `this grant allows exactly ${grant.exactEpochs} epochs, not ${params.epochs}`,
    };
  if (grant.maxEpochs !== undefined && params.epochs > grant.maxEpochs)
    return {
      reason: 'INVALID_EPOCHS',
      message: `this grant allows at most ${grant.maxEpochs} epochs, not ${params.epochs}`,
    };
  if (grant.sendObjectTo !== undefined) {
    const wanted = `0x${grant.sendObjectTo.replace(/^0x/i, '').toLowerCase().padStart(64, '0')}`;
    if (params.sendObjectTo !== wanted)
      return {
        reason: 'INVALID_SEND_OBJECT_TO',
        message: `this grant requires send_object_to=${grant.sendObjectTo}`,
      };
  }
  return undefined;
}
