// The ledger with its failures counted, per operation, for /metrics (ledger errors page an operator:
// paid uploads are refused while it fails). A refusal the ledger makes by design (a hold already
// closed, an unknown account, an amount out of range) is an answer, not a failure, and is not counted.
import { HoldClosedError, UnknownAccountError, type Ledger } from './ledger.ts';

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
