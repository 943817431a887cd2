// A second process on the ledger's file, as a worker thread with its own SQLite connection: waits
// until every worker has opened the ledger, then places its holds as fast as it can, and reports how
// many went through (sqlite-ledger.test.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteLedger } from '../../../src/publish/ledger/sqlite-ledger.ts';

const { path, accountId, holds, workers, ready } = workerData as {
  path: string;
  accountId: string;
  holds: number;
  workers: number;
  ready: SharedArrayBuffer;
};
const ledger = await openSqliteLedger(path);
const opened = new Int32Array(ready);
Atomics.add(opened, 0, 1);
while (Atomics.load(opened, 0) < workers) Atomics.wait(opened, 0, Atomics.load(opened, 0), 10);
let placed = 0;
for (let i = 0; i < holds; i++) {
  if ((await ledger.hold(accountId, 1n, { owner: `worker-${process.pid}` })).ok) placed++;
}
await ledger.close();
parentPort!.postMessage(placed);
