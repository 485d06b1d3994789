/**
 * Failures carry the provider's words, which may name a person: their message and stack
 * trace travel as an encoded payload (sealed by the payload codec) instead of in clear.
 * Loaded by the worker (inside the workflow bundle too) and by every client through
 * `failureConverterPath`, so both sides read failures the same way.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
