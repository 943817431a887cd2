// What the walrus-edge command accepts (DESIGN §4), one table per subcommand: the same objects are
// handed to parseArgs and printed by --help, so an option cannot be accepted without being documented.
// Kept apart from cli.ts, which runs on import, so tests can read the tables.

export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** Placeholder for the value in the help text (string options). */
  value?: string;
  help: string;
}

export interface CliCommand {
  /** Arguments after the command name, as the help text shows them. */
  synopsis: string;
  summary: string;
  allowPositionals: boolean;
  options: Record<string, CliOption>;
}

const help = { type: 'boolean', short: 'h', help: 'print this help and exit' } as const;

export const COMMANDS = {
  serve: {
    synopsis: '[--config FILE] [--devnet-dir DIR] [--port P] [--host H]',
    summary:
      'Run the edge, on an embedded devnet unless --devnet-dir names a running one.\n' +
      'Every other setting comes from the environment over --config FILE (see the README).',
    allowPositionals: false,
    options: {
      config: {
        type: 'string',
        value: 'FILE',
        help: 'settings from FILE (.json, .yaml or .yml; the environment overrides it) (CONFIG_FILE)',
      },
      'devnet-dir': {
        type: 'string',
        value: 'DIR',
        help: 'use the devnet running in DIR (its `devnet --dir`) instead of an embedded one (DEVNET_DIR)',
      },
      port: { type: 'string', value: 'P', help: 'port to listen on (PORT; default 8080, 0 = any free port)' },
      host: { type: 'string', value: 'H', help: 'interface to bind (HOST; default 127.0.0.1)' },
      help,
    },
  },
  devnet: {
    synopsis: '--dir DIR [--nodes N] [--shards S] [--port BASE] [--host H] [--epoch-ms MS] [--tls]',
    summary:
      'Run a local Walrus devnet (storage nodes, chain and a Sui gRPC endpoint) in the foreground\n' +
      'until SIGINT/SIGTERM. It writes DIR/committee.json (with suiUrl and packageConfig for the\n' +
      'official SDK) and prints one JSON line once it serves. Started again on the same DIR, it\n' +
      'resumes with the nodes, ports, object IDs and blobs it had.',
    allowPositionals: false,
    options: {
      dir: { type: 'string', value: 'DIR', help: 'where the devnet keeps its state (required)' },
      nodes: { type: 'string', value: 'N', help: 'number of storage nodes of a new devnet (default 12)' },
      shards: { type: 'string', value: 'S', help: 'number of shards of a new devnet (default 1000)' },
      port: {
        type: 'string',
        value: 'BASE',
        help: 'port of the first node; node i gets BASE+i, the chain BASE-1, Sui BASE-2 (default 9100, 0 = free ports)',
      },
      host: {
        type: 'string',
        value: 'H',
        help: 'interface the nodes and the chain bind (default 127.0.0.1)',
      },
      'epoch-ms': {
        type: 'string',
        value: 'MS',
        help: 'epoch length in milliseconds (default 0: epochs advance only on command)',
      },
      tls: {
        type: 'boolean',
        help: "serve the nodes over HTTPS + HTTP/2 with self-signed certificates (pinned by the nodes' network keys)",
      },
      help,
    },
  },
  put: {
    synopsis: 'FILE (--devnet-dir DIR | --url URL) [--epochs N] [--deletable]',
    summary:
      'Store FILE on a running devnet directly (encode, register, upload, certify; no edge needed)\n' +
      'and print JSON with blobId, objectId, size, endEpoch and timings; or, with --url, through an\n' +
      "edge's publisher (PUT URL/v1/blobs) and print blobId, objectId, endEpoch and its answer.",
    allowPositionals: true,
    options: {
      'devnet-dir': {
        type: 'string',
        value: 'DIR',
        help: 'the running devnet (its --dir); pays from DIR/wallet.json, funded by its faucet',
      },
      epochs: { type: 'string', value: 'N', help: 'epochs to store the blob for (default 1)' },
      deletable: {
        type: 'boolean',
        default: false,
        help: 'store the blob as deletable (default permanent, with --url too)',
      },
      url: {
        type: 'string',
        value: 'URL',
        help: "upload through the edge's publisher at URL (e.g. http://127.0.0.1:8080) instead",
      },
      help,
    },
  },
  'blob-id': {
    synopsis: 'FILE [--shards N]',
    summary: 'Print the Walrus blob ID of FILE, computed locally.',
    allowPositionals: true,
    options: {
      shards: { type: 'string', value: 'N', help: 'number of shards of the network (default 1000)' },
      help,
    },
  },
  get: {
    synopsis: 'BLOB_ID --url URL [--out FILE]',
    summary: 'Download a blob through an edge (GET URL/v1/blobs/BLOB_ID).',
    allowPositionals: true,
    options: {
      url: {
        type: 'string',
        value: 'URL',
        help: 'base URL of the edge, e.g. http://127.0.0.1:8080 (required)',
      },
      out: { type: 'string', value: 'FILE', help: 'write the blob to FILE instead of standard output' },
      help,
    },
  },
} as const satisfies Record<string, CliCommand>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** The help of one subcommand: synopsis, what it does, and every option it accepts. */
export function commandUsage(name: CommandName): string {
  const command: CliCommand = COMMANDS[name];
  const flags = Object.entries(command.options).map(([long, option]) => ({
    flag: `${option.short ? `-${option.short}, ` : '    '}--${long}${option.value ? ` ${option.value}` : ''}`,
    help: option.help,
  }));
  const width = Math.max(...flags.map((f) => f.flag.length));
  return [
    `usage: walrus-edge ${name} ${command.synopsis}`,
    '',
    command.summary,
    '',
    'options:',
    ...flags.map((f) => `  ${f.flag.padEnd(width)}  ${f.help}`),
  ].join('\n');
}

/** The help of the whole command: one line per subcommand. */
export function overallUsage(): string {
  const names = Object.keys(COMMANDS) as CommandName[];
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: walrus-edge <command> [options]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].synopsis}`),
    '',
    'walrus-edge <command> --help describes a command and all its options.',
  ].join('\n');
}
