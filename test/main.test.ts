// The composition root as `npm start` runs it: an embedded devnet, the edge on top, /status and /metrics.
import { EDGE_NODE_FLAGS } from '../src/node-flags.ts';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startEdge, type RunningEdge } from '../src/main.ts';
import { tempDir } from './support/devnet.ts';

let edge: RunningEdge;
const dir = tempDir('edge');

beforeAll(async () => {
  edge = await startEdge(loadConfig({ PORT: '0', DATA_DIR: dir.path, LOG_LEVEL: 'silent' }));
});
afterAll(async () => {
  await edge?.stop();
  dir.remove();
});

describe('walrus-edge on its embedded devnet', () => {
  it('answers /status with the devnet it runs on (mainnet-like by default)', async () => {
    const response = await fetch(`${edge.url}/status`);
    expect(response.status).toBe(200);
    const status = (await response.json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      service: 'walrus-edge',
      network: 'devnet',
      nShards: 1000,
      storageNodes: 12,
      epoch: 1,
    });
    // One chain path: the devnet is read over its own Sui gRPC endpoint, as mainnet is.
    expect(status.sui).toMatchObject({
      url: edge.devnet!.suiUrl,
      systemObjectId: edge.devnet!.packageConfig.systemObjectId,
      stakingObjectId: edge.devnet!.packageConfig.stakingPoolId,
      lastError: null,
    });
    // The embedded nodes really serve: their health endpoint answers.
    const health = await fetch(`${edge.devnet!.committee.nodes[0]!.url}/v1/health`);
    expect(health.status).toBe(200);
  });

  it('answers unknown routes with an AIP-193 404', async () => {
    const response = await fetch(`${edge.url}/nope?x=1`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as {
      error: { code: number; status: string; details: { reason: string }[] };
    };
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(body.error.details[0]!.reason).toBe('NOT_FOUND');
  });

  it('counts requests by route pattern in Prometheus format', async () => {
    await fetch(`${edge.url}/status`);
    await fetch(`${edge.url}/definitely/not/a/route/abc123`);
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    expect(text).toMatch(
      /walrus_edge_http_requests_total\{route="\/status",method="GET",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /walrus_edge_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/,
    );
    expect(text).not.toContain('abc123');
  });

  /** `node src/main.ts` (what `npm start` runs) with `env`, to its exit: its code and its stderr's lines. */
  const startAndFail = async (env: Record<string, string>) => {
    const dataDir = tempDir('bad-config');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../src/main.ts')], {
      env: { ...process.env, DATA_DIR: dataDir.path, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    dataDir.remove();
    expect(stderr).not.toMatch(/\n\s+at /);
    return { code, lines: stderr.trim().split('\n') };
  };

  it('stops `npm start` with one line naming the setting (and its file) when one is invalid, or CONFIG_FILE cannot be read', async () => {
    const files = tempDir('config-files');
    const yaml = join(files.path, 'edge.yaml');
    writeFileSync(yaml, 'PORT: 70000 # too big\nLOG_LEVEL: silent\n');
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /^walrus-edge: invalid configuration: PORT: /],
      [{ CONFIG_FILE: yaml }, /^walrus-edge: invalid configuration: PORT \(in .*edge\.yaml\): .*65535$/],
      [
        { CONFIG_FILE: join(files.path, 'missing.yaml') },
        /^walrus-edge: invalid configuration: CONFIG_FILE .*missing\.yaml: cannot be read: ENOENT/,
      ],
    ];
    try {
      // At once: each process loads the whole edge before it reads its configuration.
      const results = await Promise.all(cases.map(([env]) => startAndFail(env)));
      cases.forEach(([env, line], index) => {
        const { code, lines } = results[index]!;
        expect(code, JSON.stringify(env)).toBe(1);
        expect(lines, JSON.stringify(env)).toHaveLength(1);
        expect(lines[0], JSON.stringify(env)).toMatch(line);
      });
    } finally {
      files.remove();
    }
  });

  it('reads CONFIG_FILE (YAML or JSON, the same names and schema) under the environment, which wins', () => {
    const files = tempDir('config-files');
    try {
      const yaml = join(files.path, 'edge.yml');
      writeFileSync(
        yaml,
        [
          '# comments are why YAML is offered',
          'PORT: 9099',
          'HOST: 0.0.0.0',
          'ACCESS_LOG: false',
          'PRICE_FLAT_FEE_FROST: 123456789012345678901234567890',
          'PRICE_FROST_PER_MIST: 0.25',
          'REDIS_URL: ~',
        ].join('\n'),
      );
      const fromYaml = loadConfig({ CONFIG_FILE: yaml });
      expect(fromYaml).toMatchObject({
        PORT: 9099,
        HOST: '0.0.0.0',
        ACCESS_LOG: false,
        PRICE_FROST_PER_MIST: '0.25',
      });
      // An integer beyond 2^53 keeps every digit (YAML integers are read as bigint).
      expect(fromYaml.PRICE_FLAT_FEE_FROST).toBe(123456789012345678901234567890n);
      expect(fromYaml.REDIS_URL).toBeUndefined();
      // The environment overrides the file; an empty variable counts as unset.
      expect(loadConfig({ CONFIG_FILE: yaml, PORT: '8181', HOST: '' })).toMatchObject({
        PORT: 8181,
        HOST: '0.0.0.0',
      });

      const json = join(files.path, 'edge.json');
      writeFileSync(
        json,
        JSON.stringify({ NETWORK: 'devnet', CACHE_MEMORY_BYTES: 1024, TOP_UP_REQUIRE_SIGNATURE: true }),
      );
      expect(loadConfig({ CONFIG_FILE: json })).toMatchObject({
        CACHE_MEMORY_BYTES: 1024,
        TOP_UP_REQUIRE_SIGNATURE: true,
      });
      // An invalid value in the environment is named without the file, one in the file with it.
      expect(() => loadConfig({ CONFIG_FILE: json, CACHE_MEMORY_BYTES: 'lots' })).toThrow(
        /^invalid configuration: CACHE_MEMORY_BYTES: /,
      );
      writeFileSync(json, JSON.stringify({ NETWORK: 'moonnet' }));
      expect(() => loadConfig({ CONFIG_FILE: json })).toThrow(
        `invalid configuration: NETWORK (in ${json}): `,
      );

      for (const [body, problem] of [
        ['{"PROT": 8080}', 'PROT is not a setting of the edge'],
        ['{"PORT": 8080,', 'not valid JSON: '],
        ['{"PORT": {"value": 1}}', 'PORT: must be a string, a number or true/false'],
        ['[1, 2]', 'must hold one object of NAME: value settings'],
        [`{"CONFIG_FILE": "${json}"}`, 'CONFIG_FILE cannot be set inside it'],
        [
          '{"PRICE_FLAT_FEE_FROST": 123456789012345678901}',
          'PRICE_FLAT_FEE_FROST: 123456789012345680000 is too large for a JSON number; write it as a string',
        ],
      ]) {
        writeFileSync(json, body!);
        expect(() => loadConfig({ CONFIG_FILE: json })).toThrow(
          `invalid configuration: CONFIG_FILE ${json}: ${problem}`,
        );
      }
      const toml = join(files.path, 'edge.toml');
      writeFileSync(toml, 'PORT = 1');
      expect(() => loadConfig({ CONFIG_FILE: toml })).toThrow(
        `invalid configuration: CONFIG_FILE ${toml}: the name must end in .json, .yaml or .yml`,
      );
      writeFileSync(yaml, 'PORT: [1\n');
      expect(() => loadConfig({ CONFIG_FILE: yaml })).toThrow(
        new RegExp(`^invalid configuration: CONFIG_FILE ${yaml}: not valid YAML: [^\\n]+$`),
      );
    } finally {
      files.remove();
    }
  });

  it('logs JSON lines when stdout is no terminal, and readable lines with LOG_FORMAT=pretty', async () => {
    const firstLines = async (env: Record<string, string>, flags: readonly string[] = []) => {
      const dataDir = tempDir('log-format');
      const child = spawn(process.execPath, [...flags, join(import.meta.dirname, '../src/main.ts')], {
        env: { ...process.env, PORT: '0', DATA_DIR: dataDir.path, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('walrus-edge listening')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the edge exited with ${code}: ${out}`)));
      });
      child.kill('SIGKILL');
      dataDir.remove();
      return out.split('\n').filter((line) => line.trim() !== '');
    };
    const json = await firstLines({});
    for (const line of json) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(json.at(-1)!)).toMatchObject({ level: 30, msg: 'walrus-edge listening' });
    // Started without the launchers' V8 flags, Node says which are missing; with them (below), not.
    // (Bun, running the suite with npm run test:bun, is not V8: nothing to miss.)
    const warned = json.some((line) => 'missing' in (JSON.parse(line) as object));
    expect(warned).toBe(!('bun' in process.versions));
    if (warned)
      expect(json.map((line) => JSON.parse(line))).toContainEqual(
        expect.objectContaining({ level: 40, missing: ['--no-memory-reducer'] }),
      );
    const pretty = await firstLines({ LOG_FORMAT: 'pretty' }, EDGE_NODE_FLAGS);
    expect(pretty.join('\n')).not.toMatch(/WARN/);
    expect(pretty.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO .*walrus-edge listening/.test(line))).toBe(
      true,
    );
    expect(() => JSON.parse(pretty[0]!)).toThrow();
  }, 60_000);

  it('rejects invalid configuration loudly', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ NETWORK: 'moonnet' })).toThrow(/NETWORK/);
    expect(() => loadConfig({ SUI_RPC_URL: 'fullnode.mainnet.sui.io' })).toThrow(/SUI_RPC_URL/);
    expect(() => loadConfig({ SUI_REQUEST_TIMEOUT_MS: '0' })).toThrow(/SUI_REQUEST_TIMEOUT_MS/);
  });
});
