/**
 * Inputs shared by the clouds' credentials (imported by their schema.ts; only zod here, so that a
 * schema never pulls in services).
 */
import { z } from 'zod';

/**
 * The input of a connection test (a fresh schema per cloud). Where the test goes is configuration
 * only (createHelios `integrations`): a caller cannot send the stored secret, or a token made
 * with it, elsewhere.
 */
export function connectionTestSchema() {
  return z
    .object({
      /** Per-request timeout in milliseconds (default 15000). */
      timeoutMs: z.number().int().min(100).max(120_000).optional(),
    })
    .strict();
}
