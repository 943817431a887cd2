// The ledger with its failures counted, per operation, for /metrics (ledger errors page an operator:
// paid uploads are refused while it fails). A refusal the ledger makes by design (a hold already
// closed, an unknown account, an amount out of range) is an answer, not a failure, and is not counted.
import { HoldClosedError, UnknownAccountError, type Ledger } from './ledger.ts';

/** Every operation of the ledger, so /metrics can show each one's failures from 0 on (a series that
 * appears only with its first failure hides that failure from increase() and the alert on it). */
const EVERY_OPERATION: Record<Exclude<keyof Ledger, 'kind'>, true> = {
  createAccount: true,
  getAccount: true,
  listAccounts: true,
  addApiKey: true,
  findApiKey: true,
  listApiKeys: true,
  revokeApiKey: true,
  credit: true,
  hold: true,
  noteHoldProgress: true,
  settle: true,
  release: true,
  openHolds: true,
  balance: true,
  history: true,
  audit: true,
  claimIdempotency: true,
  finishIdempotency: true,
  abandonIdempotency: true,
  abandonStaleIdempotency: true,
  ping: true,
  close: true,
};
export const LEDGER_OPERATIONS = Object.keys(EVERY_OPERATION);

export function observedLedger(ledger: Ledger, failed: (operation: string) => void): Ledger {
  return new Proxy(ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          const answer =
            error instanceof HoldClosedError ||
            error instanceof UnknownAccountError ||
            error instanceof RangeError;
          if (!answer) failed(property);
          throw error;
        });
      };
    },
  });
}
