// AIP-193 errors from the services the edge calls (storage nodes, the devnet chain): reading their
// bodies (`{"error":{"message","details":[{"reason"}]}}`) and one error class carrying status and reason.

/** A service answered with an error: its HTTP status (0 when it said nothing) and AIP-193 reason. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** Undefined when the body is not JSON at all. */
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
