// Did an upload an edge lost track of (it died halfway) end certified? Sui says: the Blob object it
// registered carries a certified epoch once certified. A Blob handed on inside a shared blob is no
// object of its own any more; then the storage nodes' certified status for the blob ID decides.
import type { ClientWithCoreApi } from '@mysten/sui/client';
import type { Committee } from '../../network/committee.ts';
import { Blob } from '../../network/sui/walrus-objects.ts';
import type { NodeTransport } from '../../network/transport/node-transport.ts';
import { certifiedPermanentStatus } from '../certified-status.ts';
import type { CertificationCheck } from './reconcile-holds.ts';

export function chainCertification(input: {
  sui: ClientWithCoreApi;
  committee: () => Promise<Committee>;
  transport?: NodeTransport;
}): CertificationCheck {
  return async ({ blobId, objectId }) => {
    const [object] = (await input.sui.core.getObjects({ objectIds: [objectId], include: { content: true } }))
      .objects;
    if (object && !(object instanceof Error)) return Blob.parse(object.content).certified_epoch != null;
    const status = await certifiedPermanentStatus({
      committee: await input.committee(),
      blobId,
      transport: input.transport,
    });
    return status !== undefined;
  };
}
