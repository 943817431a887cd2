// A storage node's disk: per blob a folder with the metadata and the slivers of the shards it holds.
// Files are written to a temporary name and renamed, so a crash never leaves half a sliver behind.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SliverType } from '../../protocol/sliver-layout.ts';

export class SliverStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async readMetadata(blobId: string): Promise<Uint8Array | undefined> {
    return readIfExists(join(this.#blobDir(blobId), 'metadata'));
  }

  async hasMetadata(blobId: string): Promise<boolean> {
    return exists(join(this.#blobDir(blobId), 'metadata'));
  }

  async writeMetadata(blobId: string, bytes: Uint8Array): Promise<void> {
    await this.#write(blobId, 'metadata', bytes);
  }

  async readSliver(blobId: string, pair: number, type: SliverType): Promise<Uint8Array | undefined> {
    return readIfExists(join(this.#blobDir(blobId), sliverFile(pair, type)));
  }

  async hasSliver(blobId: string, pair: number, type: SliverType): Promise<boolean> {
    return exists(join(this.#blobDir(blobId), sliverFile(pair, type)));
  }

  async writeSliver(blobId: string, pair: number, type: SliverType, bytes: Uint8Array): Promise<void> {
    await this.#write(blobId, sliverFile(pair, type), bytes);
  }

  async deleteBlob(blobId: string): Promise<void> {
    await rm(this.#blobDir(blobId), { recursive: true, force: true });
  }

  #blobDir(blobId: string): string {
    // Blob IDs are validated base64url before they get here: safe as a file name.
    return join(this.#root, blobId);
  }

  async #write(blobId: string, name: string, bytes: Uint8Array): Promise<void> {
    const dir = this.#blobDir(blobId);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, name));
  }
}

function sliverFile(pair: number, type: SliverType): string {
  return `${type}-${pair}`;
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
