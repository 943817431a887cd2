// `npm test`'s pretest step (and .ci/run's): what the tests need from the system, which npm cannot
// bring. Debian's /usr/bin/chromium and ffmpeg (test/browser/media.test.ts), curl, jq, envsubst, openssl
// and nginx (the docs' journeys, test/docs), redis-server (test/cache starts private servers to kill),
// prometheus and promtool (test/ops: the dashboards' queries, the alerting rules), systemd-analyze
// and haproxy (test/deploy, which runs nginx too) and a Redis answering at 127.0.0.1:6379 (the shared
// cache tier).
// Missing packages are installed when we are root with apt-get, a Redis that is down is started;
// otherwise this stops with the command that fixes it. The tests fail (never skip) without these, so
// a clear stop here beats a wall of failures later. When all is present it is path checks and a PING.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const REDIS = { host: '127.0.0.1', port: 6379 };

/** A program the tests run, where they look for it, and the Debian package that ships it. */
const PROGRAMS = [
  { name: 'chromium', path: '/usr/bin/chromium', pkg: 'chromium' },
  { name: 'ffmpeg', pkg: 'ffmpeg' },
  { name: 'redis-server', pkg: 'redis-server' },
  // The examples of docs/journeys/ (test/docs/journey-*.test.ts) use these as a reader would.
  { name: 'curl', pkg: 'curl' },
  { name: 'jq', pkg: 'jq' },
  { name: 'openssl', pkg: 'openssl' },
  { name: 'envsubst', pkg: 'gettext-base' },
  { name: 'nginx', path: '/usr/sbin/nginx', pkg: 'nginx' },
  // A real Prometheus, and promtool from the same package (test/ops).
  { name: 'prometheus', path: '/usr/bin/prometheus', pkg: 'prometheus' },
  { name: 'promtool', path: '/usr/bin/promtool', pkg: 'prometheus' },
  // test/deploy/systemd.test.ts checks the unit with systemd's own analyzer.
  { name: 'systemd-analyze', path: '/usr/bin/systemd-analyze', pkg: 'systemd' },
  // test/deploy/load-balancer.test.ts runs the load balancers' configurations (nginx's, too).
  { name: 'haproxy', path: '/usr/sbin/haproxy', pkg: 'haproxy' },
];

const isRoot = process.getuid?.() === 0;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, name)));
}

function missingPackages(): string[] {
  const missing = PROGRAMS.filter((p) => !(p.path ? executable(p.path) : onPath(p.name)));
  return [...new Set(missing.map((p) => p.pkg))];
}

function fail(message: string): never {
  console.error(`\nnpm test: ${message}\n`);
  process.exit(1);
}

/** Runs a command quietly (apt's progress would bury the test output); its output shows if it fails. */
function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    fail(
      `${command} ${args.join(' ')} failed:\n${result.error?.message ?? ''}${result.stdout}${result.stderr}`,
    );
  }
}

function installPackages(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const install = (sudo: string) => `${sudo}apt-get update && ${sudo}apt-get install -y ${missing.join(' ')}`;
  if (!onPath('apt-get')) {
    fail(
      `the tests need ${missing.join(', ')}, which are missing, and there is no apt-get here.\n` +
        `They expect Debian's packages (chromium at /usr/bin/chromium), as \`${install('')}\` installs them.`,
    );
  }
  if (!isRoot) {
    fail(
      `the tests need ${missing.join(', ')}, which are missing. Install them with:\n  ${install('sudo ')}`,
    );
  }
  console.log(`installing what the tests need with apt-get (a minute or so): ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing]);
  const still = missingPackages();
  if (still.length > 0) fail(`${still.join(', ')} still missing after apt-get install`);
}

/** The first line Redis answers to PING, or undefined when nothing answers within a second. */
function pingRedis(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(REDIS);
    let reply = '';
    const done = (answer: string | undefined) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.split('\r\n')[0]);
    });
  });
}

/** As this machine's services run it: in the background, nothing saved to disk. */
function startRedis(): string {
  const dir = isRoot ? '/var/lib/redis' : join(tmpdir(), 'walrus-edge-redis');
  const logDir = isRoot ? '/var/log/redis' : dir;
  mkdirSync(dir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const logfile = join(logDir, 'ci.log');
  console.log(
    `Redis is not answering on ${REDIS.host}:${REDIS.port}; starting redis-server (log: ${logfile})`,
  );
  // `-::1`: IPv6 loopback too where there is one, as Debian's own configuration binds.
  run('redis-server', [
    ...['--daemonize', 'yes', '--bind', REDIS.host, '-::1', '--port', String(REDIS.port)],
    ...['--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', logfile],
  ]);
  return logfile;
}

async function ensureRedis(): Promise<void> {
  let answer = await pingRedis();
  if (answer === undefined) {
    const logfile = startRedis();
    for (let tries = 0; tries < 50 && answer === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await pingRedis();
    }
    if (answer === undefined)
      fail(`redis-server did not come up on ${REDIS.host}:${REDIS.port}; see ${logfile}`);
  }
  if (answer !== '+PONG') {
    fail(`the Redis at ${REDIS.host}:${REDIS.port} answers PING with ${JSON.stringify(answer)}, not PONG`);
  }
}

installPackages();
await ensureRedis();
