// A network whose largest blob is smaller than the publisher's body limit (10 shards: P·S·65534 ≈
// 1.8 MB): a body the network cannot hold is 413 before anything is encoded, registered or paid.
import { expect, it } from 'vitest';
import { maxBlobSize } from '../../src/protocol/encoding.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { publisherWallet, publishingSetup, putBlob, walletBalances } from '../support/publishing.ts';

const setup = publishingSetup('publish-small', { nodes: 4, shards: 10 });

it('a body larger than the network can hold is 413, with nothing paid', async () => {
  const owner = publisherWallet(setup.dataDir).address;
  const before = await walletBalances(setup.devnet, owner);
  const answer = await putBlob(setup.edge, '', randomBytes(maxBlobSize(10) + 1, 5001));
  expect(answer.status).toBe(413);
  expect(await walletBalances(setup.devnet, owner)).toEqual(before);
});
