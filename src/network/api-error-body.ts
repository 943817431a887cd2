// Reads an AIP-193 error body (`{"error":{"message","details":[{"reason"}]}}`), as storage nodes, the
// devnet chain and the official services send them. Undefined when the body is not JSON at all.

export function readApiErrorBody(text: string): { reason?: string; message?: string } | undefined {
  try {
    const parsed = JSON.parse(text) as {
      error?: { message?: string; details?: { reason?: string }[] };
    } | null;
    return { reason: parsed?.error?.details?.[0]?.reason, message: parsed?.error?.message };
  } catch {
    return undefined;
  }
}
