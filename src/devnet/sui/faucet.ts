// The devnet's faucet, as Sui's faucet API answers it (what `requestSuiFromFaucetV2({ host, recipient })`
// calls): POST /v2/gas {"FixedAmountRequest":{"recipient":"0x…"}} gives the recipient a new Coin<SUI>
// and a new Coin<WAL> and answers {"status":"Success","coins_sent":[…]}; failures are
// {"status":{"Failure":{"internal":"…"}}}, as the SDK reads them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidSuiAddress, normalizeSuiAddress } from '@mysten/sui/utils';
import type { DevnetLedger } from '../chain/ledger.ts';
import { listenHandler, type Listener } from '../http-listener.ts';
import type { SuiIds } from './sui-ids.ts';

const MAX_BODY = 64 * 1024;

export function faucetHandler(
  ledger: DevnetLedger,
  ids: SuiIds,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
      });
      response.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string) =>
      answer(status, { status: { Failure: { internal: message } } });
    if (request.method === 'OPTIONS') {
      request.resume();
      response.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': request.headers['access-control-request-headers'] ?? 'content-type',
      });
      response.end();
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/v2/gas' && path !== '/gas' && path !== '/v1/gas') {
      request.resume();
      return fail(404, `no route ${request.method} ${path}: the devnet faucet answers POST /v2/gas`);
    }
    if (request.method !== 'POST') {
      request.resume();
      return fail(405, 'POST /v2/gas');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY) return fail(413, 'request too large');
      let recipient: unknown;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          FixedAmountRequest?: { recipient?: unknown };
        };
        recipient = body?.FixedAmountRequest?.recipient;
      } catch {
        return fail(400, 'the body is not JSON');
      }
      if (typeof recipient !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(recipient)) {
        return fail(400, 'expected {"FixedAmountRequest":{"recipient":"0x…"}}');
      }
      const address = normalizeSuiAddress(recipient);
      if (!isValidSuiAddress(address)) return fail(400, `invalid recipient ${recipient}`);
      try {
        const { coins } = ledger.faucet(address);
        answer(200, {
          status: 'Success',
          coins_sent: coins.map((coin) => ({
            amount: Number(coin.balance),
            id: coin.id,
            transferTxDigest: ids.digest(`faucet ${coin.id}`),
          })),
        });
      } catch (error) {
        fail(500, (error as Error).message);
      }
    });
  };
}

export function startFaucet(
  ledger: DevnetLedger,
  ids: SuiIds,
  host: string,
  port: number,
): Promise<Listener> {
  return listenHandler(faucetHandler(ledger, ids), host, port);
}
