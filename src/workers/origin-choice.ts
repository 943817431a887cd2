// Which origin edge a request goes to. Every request for one blob — the blob, its byte ranges, the
// patches of a quilt — goes to the same edge first (rendezvous hashing on the blob's ID), so each
// blob is reconstructed and kept in memory by one edge, not by all of them; the others follow in a
// fixed order per blob, so a failing edge moves only its own blobs. The same idea as the load
// balancer in deploy/load-balancer/, done by the Worker so no balancer is needed behind it.
import { quiltIdOfPatch } from '../protocol/quilt-id.ts';

/** The ID a path's bytes belong to (a quilt patch's quilt), or the path itself. */
export function affinityKey(pathname: string): string {
  const parts = pathname.split('/');
  // ['', 'v1', 'blobs', 'by-quilt-patch-id', id] and friends.
  if (parts[1] === 'v1' && parts[2] === 'blobs') {
    // A malformed patch ID keeps its path: the origin answers 400, from wherever.
    if (parts[3] === 'by-quilt-patch-id' && parts[4]) return quiltIdOfPatch(parts[4]) ?? pathname;
    if ((parts[3] === 'by-quilt-id' || parts[3] === 'by-object-id') && parts[4]) return parts[4];
    if (parts[3]) return parts[3];
  }
  if (parts[1] === 'v1' && parts[2] === 'quilts' && parts[3]) return parts[3];
  if (parts[1] === 'v1alpha' && parts[2] === 'blobs' && parts[3]) return parts[3];
  return pathname;
}

/** The origins in the order to try them for `key`: highest rendezvous score first. */
export function originsFor(key: string, origins: readonly string[]): string[] {
  return origins
    .map((origin) => ({ origin, score: score(`${origin}\n${key}`) }))
    .sort((a, b) => b.score - a.score || (a.origin < b.origin ? -1 : 1))
    .map(({ origin }) => origin);
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so that near keys score far apart. */
function score(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
