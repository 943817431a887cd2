// The primary's book of who reconstructs which blob for the host: one leader, followers that get its
// bytes, and nobody left waiting on a leader that died, gave up or got stuck.
import { describe, expect, it } from 'vitest';
import { FillLeases } from '../../src/cluster/fill-leases.ts';

const blob = { bytes: new Uint8Array([1, 2, 3]), storedAt: 1, endEpoch: 5 };
const never = new AbortController().signal;

describe('FillLeases', () => {
  it('lets the first claimant lead; the others follow and get its bytes when it releases', async () => {
    const leases = new FillLeases<number>();
    expect(leases.claim('b', 1, 30_000)).toBe('lead');
    expect(leases.claim('b', 2, 30_000)).toBe('follow');
    expect(leases.claim('b', 3, 30_000)).toBe('follow');
    const waits = [leases.wait('b', 2, never), leases.wait('b', 3, never)];
    leases.release('b', 1, blob);
    expect(await Promise.all(waits)).toEqual([blob, blob]);
    // Released: the next claim leads again.
    expect(leases.claim('b', 2, 30_000)).toBe('lead');
  });

  it("ends a dead leader's lease: its followers hear 'gone' and one of them leads next", async () => {
    const leases = new FillLeases<number>();
    leases.claim('b', 1, 30_000);
    leases.claim('b', 2, 30_000);
    const wait = leases.wait('b', 2, never);
    leases.workerGone(1);
    expect(await wait).toBeUndefined();
    expect(leases.claim('b', 2, 30_000)).toBe('lead');
    expect(leases.claim('b', 3, 30_000)).toBe('follow');
  });

  it("does not hold followers past a stuck leader's term, and lets the next claim lead then", async () => {
    const leases = new FillLeases<number>();
    leases.claim('b', 1, 50);
    const started = Date.now();
    expect(await leases.wait('b', 2, never)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(leases.claim('b', 2, 30_000)).toBe('lead');
  });

  it('wakes a follower when the term has ended by the clock claims read, though its timer fires early', async () => {
    const leases = new FillLeases<number>();
    leases.claim('b', 1, 50);
    // A wait armed as if 40 ms later (Node arms timers from the loop's cached time, which lags) fires early.
    expect(await leases.wait('b', 2, never, Date.now() + 40)).toBeUndefined();
    expect(leases.claim('b', 2, 30_000)).toBe('lead');
  });

  it("answers a wait at once when nobody leads (the bytes are in the last leader's memory then)", async () => {
    const leases = new FillLeases<number>();
    expect(await leases.wait('b', 2, never)).toBeUndefined();
  });

  it('lets a follower that gives up leave, and ignores releases by anyone but the leader', async () => {
    const leases = new FillLeases<number>();
    leases.claim('b', 1, 30_000);
    const controller = new AbortController();
    const wait = leases.wait('b', 2, controller.signal);
    controller.abort();
    expect(await wait).toBeUndefined();
    const other = leases.wait('b', 3, never);
    leases.release('b', 2, blob); // not the leader: nothing happens
    expect(leases.size).toBe(1);
    leases.release('b', 1, undefined); // the leader failed
    expect(await other).toBeUndefined();
    expect(leases.size).toBe(0);
  });
});
