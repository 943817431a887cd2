// The copy-paste examples of docs/journeys/*.md, run as a reader runs them: in order, in one shell,
// in a folder that stands for the walrus-edge checkout. A step is a fenced block whose info string is
//
//   <language> test:<journey>/<step> [background | file=<path>]
//
// plain: sourced by the journey's bash (set -euo pipefail: any failing command fails the step; the
// variables it sets stay for the next steps, as in a terminal); `background`: started there with `&`
// (the edge, nginx: a shell of their own in the docs), its output kept for when a later step fails;
// `file=`: written to that path (a script, a page, a configuration) for later steps to use. Every
// fenced block in those docs must be a step, so none goes unchecked.
//
// What the tests change, and only this: the ports the examples use (8080 the edge, 8081 a CDN, 8082
// the Workers tier) become free ones, `PORT` is set to the edge's, and the embedded devnet is small
// (DEVNET_SHARDS=100, DEVNET_NODES=11) so that it starts in seconds. The folder holds symlinks to the
// checkout's package.json, src/, deploy/, scripts/ and node_modules/, so `npm start`,
// `npm run workers:dev`, `npx walrus-edge` and `import '@mysten/sui/…'` work there as in the
// checkout, and the edge's `.walrus-edge/` lands in it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { tempDir } from './devnet.ts';
import { markdownSteps, type Step } from './journey-steps.ts';
import { freePort } from './free-port.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const STEP_TIMEOUT_MS = 90_000;
/** Fails (never skips) naming the Debian package when a program the examples use is missing. */
export function requirePrograms(programs: Record<string, string>): void {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const [program, pkg] of Object.entries(programs)) {
    const found = path.some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found)
      throw new Error(
        `${program} is missing: apt-get update && apt-get install -y ${pkg} (npm test installs it as root: npm run pretest)`,
      );
  }
}

/** Answers of the edge's blob routes so far (`/v1/blobs/…`, every status), by its own Prometheus counter. */
export async function edgeBlobAnswers(edgeUrl: string): Promise<number> {
  const metrics = await (await fetch(`${edgeUrl}/metrics`)).text();
  return [...metrics.matchAll(/^walrus_edge_http_requests_total\{route="\/v1\/blobs\/[^\n]* (\d+)$/gm)]
    .map((match) => Number(match[1]))
    .reduce((sum, value) => sum + value, 0);
}

export interface JourneyOptions {
  /** docs/journeys/<name>.md, relative to the checkout. */
  doc: string;
  journey: string;
  /** Ports the examples name, beyond the edge's 8080 (e.g. 8081 for a CDN); each gets a free one. */
  extraPorts?: number[];
}

export interface StepOutput {
  stdout: string;
  stderr: string;
}

export class Journey {
  readonly dir: string;
  /** The example's port → the one used here. */
  readonly ports: Map<number, number>;
  readonly edgeUrl: string;
  private readonly steps: Step[];
  private readonly control: { path: string; remove(): void };
  private readonly work: { path: string; remove(): void };
  private readonly shell: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;
  private readonly backgroundLogs: string[] = [];
  private shellOutput = '';
  private next = 0;
  private counter = 0;

  private constructor(steps: Step[], ports: Map<number, number>) {
    this.steps = steps;
    this.ports = ports;
    this.edgeUrl = `http://127.0.0.1:${ports.get(8080)}`;
    this.work = tempDir('journey');
    this.control = tempDir('journey-control');
    this.dir = this.work.path;
    // Readable by every user: nginx's workers (nobody, when the tests run as root) must reach cdn/.
    chmodSync(this.dir, 0o755);
    for (const entry of ['package.json', 'src', 'node_modules', 'deploy', 'scripts'])
      symlinkSync(join(ROOT, entry), join(this.dir, entry));
    this.shell = spawn('bash', ['--noprofile', '--norc'], {
      cwd: this.dir,
      detached: true, // its own process group, so that close() ends every process a step started
      env: {
        ...process.env,
        // As npm scripts do: the checkout's pinned Node first (`node` is Node 24 in every step).
        PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
        PORT: String(ports.get(8080)),
        DEVNET_SHARDS: '100',
        DEVNET_NODES: '11',
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const killOnExit = () => this.signalGroup('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      this.shell.once('exit', (code) => {
        process.off('exit', killOnExit);
        resolve(code);
      }),
    );
    this.shell.stdout.on('data', (chunk: Buffer) => (this.shellOutput += chunk.toString()));
    this.shell.stderr.on('data', (chunk: Buffer) => (this.shellOutput += chunk.toString()));
    this.shell.stdin.write('set -euo pipefail\n');
  }

  static async open(options: JourneyOptions): Promise<Journey> {
    const steps = markdownSteps(join(ROOT, options.doc)).filter((step) => step.journey === options.journey);
    if (steps.length === 0) throw new Error(`${options.doc} has no steps of journey ${options.journey}`);
    const ports = new Map<number, number>();
    for (const port of [8080, ...(options.extraPorts ?? [])]) ports.set(port, await freePort());
    return new Journey(steps, ports);
  }

  /** Runs the next step, which must be `name` (so the test follows the document's order). */
  async run(name: string): Promise<StepOutput> {
    const step = this.steps[this.next];
    if (!step) throw new Error(`the journey has no step after the last one; the test asked for ${name}`);
    if (step.name !== name)
      throw new Error(
        `the next step of the journey is ${step.name} (${step.at}), the test asked for ${name}`,
      );
    this.next++;
    const code = this.withPorts(step.code);
    if (typeof step.role === 'object') {
      const path = join(this.dir, step.role.file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, code);
      return { stdout: '', stderr: '' };
    }
    const n = ++this.counter;
    const script = join(this.control.path, `${n}-${step.name}.sh`);
    writeFileSync(script, code);
    if (step.role === 'background') {
      const log = join(this.control.path, `${n}-${step.name}.log`);
      this.backgroundLogs.push(log);
      await this.command(`( source '${script}' ) > '${log}' 2>&1 &`, step);
      return { stdout: '', stderr: '' };
    }
    const out = join(this.control.path, `${n}.out`);
    const err = join(this.control.path, `${n}.err`);
    // < /dev/null: the shell's stdin is this runner's command stream (ffmpeg, for one, reads stdin).
    await this.command(`source '${script}' < /dev/null > '${out}' 2> '${err}'`, step, { out, err });
    return { stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  }

  /** The value of a shell variable the steps set (e.g. an ID), or a failure naming it when unset. */
  async variable(name: string): Promise<string> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a variable name: ${name}`);
    const file = join(this.control.path, `var-${++this.counter}`);
    await this.command(`printf '%s' "\${${name}?the steps did not set ${name}}" > '${file}'`, undefined);
    return readFileSync(file, 'utf8');
  }

  /** A file of the journey's folder. */
  path(relative: string): string {
    return join(this.dir, relative);
  }

  /** Steps the test has not run: a test ends by checking there are none. */
  get remaining(): string[] {
    return this.steps.slice(this.next).map((step) => `${step.name} (${step.at})`);
  }

  async close(): Promise<void> {
    this.shell.stdin.end();
    this.signalGroup('SIGTERM');
    // A graceful stop first (the edge closes its devnet); then whatever is left of the group.
    const deadline = Date.now() + 10_000;
    while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.signalGroup('SIGKILL');
    await this.exited;
    this.work.remove();
    this.control.remove();
  }

  private withPorts(code: string): string {
    let result = code;
    for (const [from, to] of this.ports) result = result.replaceAll(`127.0.0.1:${from}`, `127.0.0.1:${to}`);
    return result;
  }

  /** Sends one command line to the shell and waits for it, or for the shell to exit (a failed step). */
  private async command(
    line: string,
    step: Step | undefined,
    files?: { out: string; err: string },
  ): Promise<void> {
    const marker = `__journey_step_done_${++this.counter}__`;
    const seen = this.shellOutput.length;
    this.shell.stdin.write(`${line}\necho ${marker}\n`);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      new Promise<'done'>((resolve) => {
        const check = () => {
          if (this.shellOutput.indexOf(marker, seen) >= 0) {
            this.shell.stdout.off('data', check);
            resolve('done');
          }
        };
        this.shell.stdout.on('data', check);
        check();
      }),
      this.exited.then((code) => `the shell exited with ${code}` as const),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no end within ${STEP_TIMEOUT_MS / 1000} s`), STEP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'done') return;
    const read = (path: string) => {
      try {
        return readFileSync(path, 'utf8').slice(-3000);
      } catch {
        return '';
      }
    };
    const background = this.backgroundLogs.map((log) => `--- ${log}:\n${read(log)}`).join('\n');
    throw new Error(
      `step ${step?.name ?? '(reading a variable)'} ${step ? `(${step.at})` : ''} failed: ${outcome}\n` +
        (files ? `--- stdout:\n${read(files.out)}\n--- stderr:\n${read(files.err)}\n` : '') +
        `--- the shell:\n${this.shellOutput.slice(-2000)}\n${background}`,
    );
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.shell.pid!, signal);
    } catch {
      // the group is gone already
    }
  }

  private groupAlive(): boolean {
    try {
      process.kill(-this.shell.pid!, 0);
      return true;
    } catch {
      return false;
    }
  }
}
