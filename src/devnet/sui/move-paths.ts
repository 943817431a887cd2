// Matching Move types against the paths Sui's filters take: "0xaddr" (every type defined there),
// "0xaddr::module", "0xaddr::module::Name" (any instantiation) or a full type (exactly).
import { normalizeStructTag, normalizeSuiAddress } from '@mysten/sui/utils';

/** `[address, module?, name?]` of a path or type (type arguments dropped), or undefined if malformed. */
function pathParts(path: string): string[] | undefined {
  const head = path.trim().replace(/<.*$/s, '');
  const [address, ...rest] = head.split('::');
  if (!address || !/^0x[0-9a-fA-F]{1,64}$/.test(address) || rest.length > 2 || rest.some((p) => !p)) {
    return undefined;
  }
  return [normalizeSuiAddress(address), ...rest];
}

function normalizedType(type: string): string | undefined {
  try {
    return normalizeStructTag(type);
  } catch {
    return undefined;
  }
}

/** Whether a struct type matches a type filter (see above). */
export function typeMatches(type: string, filter: string): boolean {
  if (filter.includes('<')) {
    const wanted = normalizedType(filter);
    return wanted !== undefined && wanted === normalizedType(type);
  }
  const wanted = pathParts(filter);
  const actual = pathParts(type);
  return !!wanted && !!actual && wanted.every((part, i) => part === actual[i]);
}

/** Whether `package` + `module` lie under a module path (`0xaddr` or `0xaddr::module`). */
export function moduleMatches(packageId: string, module: string, filter: string): boolean {
  const wanted = pathParts(filter);
  if (!wanted || wanted.length > 2) return false;
  return wanted[0] === normalizeSuiAddress(packageId) && (wanted[1] === undefined || wanted[1] === module);
}
