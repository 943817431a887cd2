// What /status and /readyz say of the publisher (the sponsor's balances, whether the ledger answers)
// at every worker, though only one of them publishes (publisher-forward.ts): the publishing worker
// answers for its sponsor and ledger through the primary; the others show its answers, the sponsor's
// as last heard (refreshed in the background and whenever shown) since /status reads it at once.
import type { SponsorStatus } from '../publish/sponsor/sponsor.ts';
import type { Link } from './link.ts';

export interface PublisherView {
  /** Absent: this edge does not publish; undefined: not known (yet). */
  sponsor?: () => SponsorStatus | undefined;
  /** Absent or undefined: no ledger. */
  ledgerAnswers?: () => Promise<boolean | undefined>;
}

interface Heard {
  sponsor: SponsorStatus | null;
  ledger: boolean | null;
}

/** The sponsor's balances move slowly; asked again at most this often. */
const FRESH_MS = 2_000;
/** The publisher checks its ledger within a second (main.ts's ledgerAnswers). */
const ASK_MS = 2_500;

/** The publishing worker: answers the others' questions with what it shows itself. */
export function showPublisherView(primary: Link, view: PublisherView): void {
  primary.answer('publisher.view', async (): Promise<Heard> => ({
    sponsor: view.sponsor?.() ?? null,
    ledger: (await view.ledgerAnswers?.()) ?? null,
  }));
}

/** Another worker: the publishing worker's view, as the primary relays it. */
export function remotePublisherView(primary: Link): PublisherView {
  let heard: Heard | undefined;
  let heardAt = 0;
  const ask = async (): Promise<Heard | undefined> => {
    const answer = await primary
      .request<Heard>('publisher.view', null, { timeoutMs: ASK_MS })
      .catch(() => undefined);
    if (answer) {
      heard = answer;
      heardAt = Date.now();
    }
    return answer;
  };
  let asking: Promise<unknown> | undefined;
  const refresh = () => (asking ??= ask().finally(() => (asking = undefined)));
  void refresh();
  const timer = setInterval(() => void refresh(), 5 * FRESH_MS);
  timer.unref();
  return {
    sponsor: () => {
      if (Date.now() - heardAt > FRESH_MS) void refresh();
      return heard?.sponsor ?? undefined;
    },
    // Asked each time (it is a probe); a publisher that does not answer has no working ledger.
    ledgerAnswers: async () => {
      const answer = await ask();
      if (answer) return answer.ledger ?? undefined;
      return heard?.ledger === null || heard === undefined ? undefined : false;
    },
  };
}
