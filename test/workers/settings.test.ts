// The Workers tier's settings (src/workers/settings.ts): one of two upstreams, the defaults each
// network brings, and one message naming the setting that is wrong.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WALRUS_MAINNET } from '../../src/network/committees/sui-committee.ts';
import { WORKERS_SETTING_NAMES, workersSettings } from '../../src/workers/settings.ts';

const message = (env: Record<string, string>) => {
  const result = workersSettings(env);
  return result.ok ? undefined : result.message;
};

describe('workersSettings', () => {
  it('takes origins, and follows the first one’s blocklist when given the edge’s admin token', () => {
    const result = workersSettings({
      ORIGINS: 'https://a.example/, https://b.example',
      ADMIN_TOKEN: 'x'.repeat(16),
    });
    expect(result).toMatchObject({
      ok: true,
      value: {
        upstream: 'origins',
        origins: ['https://a.example/', 'https://b.example'],
        originTimeoutMs: 10_000,
        fillMaxBytes: 500_000_000,
        teeMaxBytes: 32 * 1024 * 1024,
        blocklist: { url: 'https://a.example/v1/admin/blocklist', refreshMs: 60_000 },
      },
    });
    expect(workersSettings({ ORIGINS: 'https://a.example' })).toMatchObject({
      value: { blocklist: undefined },
    });
  });

  it('reads mainnet by default where NETWORK says so, and a devnet only with its endpoint and objects', () => {
    expect(workersSettings({ NETWORK: 'mainnet' })).toMatchObject({
      ok: true,
      value: {
        upstream: 'nodes',
        network: 'mainnet',
        suiUrl: 'https://fullnode.mainnet.sui.io:443',
        systemObjectId: WALRUS_MAINNET.systemObjectId,
        nodeUrlScheme: 'https',
      },
    });
    expect(message({ NETWORK: 'devnet', SUI_URL: 'http://127.0.0.1:9000' })).toMatch(/WALRUS_SYSTEM_OBJECT/);
    expect(
      workersSettings({
        SUI_URL: 'http://127.0.0.1:9000',
        WALRUS_SYSTEM_OBJECT: '0x1',
        WALRUS_STAKING_OBJECT: '0x2',
      }),
    ).toMatchObject({ value: { network: 'localnet', nodeUrlScheme: 'http' } });
  });

  it('names the setting that is wrong, and treats an empty one as unset', () => {
    expect(message({})).toMatch(/^invalid setting ORIGINS: set ORIGINS/);
    expect(message({ ORIGINS: 'ftp://a.example' })).toMatch(/ORIGINS/);
    expect(message({ ORIGINS: 'https://a.example', NETWORK: 'mainnet' })).toMatch(/not both/);
    expect(message({ ORIGINS: '', NETWORK: 'mainnet' })).toBeUndefined();
    expect(message({ ORIGINS: 'https://a.example', FILL_MAX_BYTES: '-1' })).toMatch(/FILL_MAX_BYTES/);
    expect(message({ ORIGINS: 'https://a.example', BLOCKLIST_URL: 'https://a.example/list' })).toMatch(
      /ADMIN_TOKEN/,
    );
    expect(message({ NETWORK: 'moon' })).toMatch(/NETWORK/);
  });
});

describe('the settings table of docs/scaling.md', () => {
  it('lists every variable the Worker reads, and no other', () => {
    const doc = readFileSync(new URL('../../docs/scaling.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### The Workers tier'), doc.indexOf('## What to watch'));
    const table = section.split('\n').filter((line) => /^\| `[A-Z_]+`/.test(line));
    const documented = table.flatMap((line) =>
      [...line.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!),
    );
    expect([...documented].sort()).toEqual([...WORKERS_SETTING_NAMES].sort());
  });
});
