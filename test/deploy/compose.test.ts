// deploy/compose/compose.yaml against the Compose Specification's JSON Schema (vendored, see
// test/deploy/schemas/README.md) with ajv, a broken copy rejected by the same check, and what the
// schema cannot know: the edge's settings pass its own validation, the devnet's command is one the
// CLI accepts, and the edge reads the directory the devnet writes.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../src/cli-commands.ts';
import { loadConfig } from '../../src/config.ts';

const composeDir = fileURLToPath(new URL('../../deploy/compose/', import.meta.url));
const schemaFile = fileURLToPath(new URL('./schemas/compose-spec.json', import.meta.url));

const { $schema, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
// The file names draft-07 by an https URL that ajv does not register; its draft-07 is the default.
expect($schema).toBe('https://json-schema.org/draft-07/schema');
const validateCompose = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** The errors of a compose document, one line each ("" when valid). */
function composeErrors(document: unknown): string {
  if (validateCompose(document)) return '';
  return validateCompose
    .errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/** What the checks below read of a compose file (the schema checks the rest). */
interface ComposeService {
  command?: string[];
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: unknown;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { interval?: unknown };
  build?: { context: string; dockerfile: string };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const source = readFileSync(join(composeDir, 'compose.yaml'), 'utf8');
// YAML merge keys (<<: *edge-image) as Compose reads them.
const compose = parse(source, { merge: true }) as ComposeFile;

/** Compose's ${NAME}, ${NAME:?message} and ${NAME:-default} with the values of .env.example. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::?[?-][^}]*)?\}/g, (_, name: string) => {
    if (!(name in env)) throw new Error(`${name} is not in .env.example`);
    return env[name]!;
  });
}
const exampleEnv = Object.fromEntries(
  readFileSync(join(composeDir, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^\w+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

const { edge, devnet, postgres } = compose.services as Record<string, ComposeService>;

describe('deploy/compose/compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(composeErrors(compose)).toBe('');
  });

  const mistakes: [string, (copy: ComposeFile) => void][] = [
    ['a misspelt key', (c) => Object.assign(c.services.edge!, { enviroment: c.services.edge!.environment })],
    ['a healthcheck interval as a number', (c) => (c.services.redis!.healthcheck!.interval = 5)],
    [
      'depends_on with an unknown condition',
      (c) => (c.services.edge!.depends_on!.redis!.condition = 'healthy'),
    ],
    ['ports as one mapping', (c) => (c.services.edge!.ports = { host: 8080 })],
  ];
  it.each(mistakes)('rejects a broken copy: %s', (_, breakIt) => {
    const copy = structuredClone(compose);
    breakIt(copy);
    expect(composeErrors(copy)).not.toBe('');
  });

  it('runs the edge, Redis, PostgreSQL, Prometheus, Grafana and a devnet', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['devnet', 'edge', 'grafana', 'postgres', 'prometheus', 'redis'].sort(),
    );
  });

  it('gives the edge settings it knows, with values its own validation accepts', () => {
    const environment = edge!.environment!;
    const env = Object.fromEntries(
      Object.entries(environment).map(([name, value]) => [name, interpolate(value, exampleEnv)]),
    );
    const config = loadConfig(env) as Record<string, unknown>;
    expect(Object.keys(env).filter((name) => !(name in config))).toEqual([]);
    expect(config).toMatchObject({ NETWORK: 'devnet', DEVNET_DIR: '/devnet', PUBLISHER_AUTH: 'api-key' });
    // The connection strings name the services that serve them.
    expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    const database = new URL(env.DATABASE_URL!);
    expect(database.hostname).toBe('postgres');
    expect(database.username).toBe(postgres!.environment!.POSTGRES_USER);
    expect(database.pathname).toBe(`/${postgres!.environment!.POSTGRES_DB}`);
  });

  it('runs the devnet with options `walrus-edge devnet` accepts, in the volume the edge reads', () => {
    const [script, command, ...args] = devnet!.command!;
    expect([script, command]).toEqual(['src/cli.ts', 'devnet']);
    const { values } = parseArgs({
      args,
      options: COMMANDS.devnet.options,
      strict: true,
      allowPositionals: false,
    });
    // It advertises its own service name, which is what the edge resolves on the compose network.
    expect(values.host).toBe('devnet');
    expect(devnet!.hostname).toBe('devnet');
    const devnetMount = devnet!.volumes!.find((v) => v.endsWith(`:${values.dir}`));
    const volume = devnetMount!.split(':')[0];
    expect(edge!.volumes).toContain(`${volume}:${edge!.environment!.DEVNET_DIR}:ro`);
  });

  it('mounts files that exist in the repository', () => {
    const binds = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0]!)
      .filter((from) => from.startsWith('.'));
    expect(binds.length).toBeGreaterThan(0);
    for (const from of binds) expect(existsSync(resolve(composeDir, from)), from).toBe(true);
    expect(existsSync(resolve(composeDir, edge!.build!.context, edge!.build!.dockerfile))).toBe(true);
  });
});
