/**
 * Personal data sealed before it leaves the process: every payload the API's client
 * and the worker hand to Temporal (workflow input and result, signal, update and query
 * arguments and answers, activity inputs and results, memo, user metadata, failure
 * messages) is encrypted with AES-256-GCM, so Temporal's history and its database hold
 * only ciphertext. Each sealed payload names the key that sealed it, so keys rotate:
 * the first key seals, every configured key opens, and old bookings stay readable as
 * long as their key is kept. A payload that was never sealed (histories recorded before
 * sealing) passes through as it is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Payload, type PayloadCodec, METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const SEALED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface PayloadKey {
  id: string;
  key: Buffer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An error a sealed payload gives when it cannot be opened here; it says which key and why, never the data. */
export class PayloadKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

export class SealingCodec implements PayloadCodec {
  private readonly sealing: PayloadKey;
  private readonly opening: Map<string, Buffer>;

  /** `keys[0]` seals; every key opens. */
  constructor(keys: readonly PayloadKey[]) {
    const [sealing] = keys;
    if (!sealing) throw new PayloadKeyError('no payload key: at least one is needed to seal payloads');
    for (const { id, key } of keys) {
      if (key.length !== KEY_BYTES) throw new PayloadKeyError(`payload key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`);
    }
    this.sealing = sealing;
    this.opening = new Map(keys.map(({ id, key }) => [id, key]));
  }

  /** The id of the key new payloads are sealed with. */
  get sealingKeyId(): string {
    return this.sealing.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  seal(payload: Payload): Payload {
    const { id, key } = this.sealing;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv);
    // The key id is authenticated too: a payload cannot be passed off as sealed by another key.
    cipher.setAAD(encoder.encode(id));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(SEALED_ENCODING),
        [KEY_ID_METADATA]: encoder.encode(id),
        [CIPHER_METADATA]: encoder.encode(CIPHER),
      },
      data: sealed,
    };
  }

  open(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || decoder.decode(encoding) !== SEALED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
    const key = this.opening.get(keyId);
    if (!key) {
      throw new PayloadKeyError(
        `a payload sealed with key "${keyId}" cannot be opened: it is not among the configured keys (${[...this.opening.keys()].join(', ')}); keep retired keys in PAYLOAD_KEYS`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadKeyError(`a payload sealed with key "${keyId}" is truncated`);
    try {
      const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
      decipher.setAAD(encoder.encode(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadKeyError(`a payload sealed with key "${keyId}" does not open with the configured key "${keyId}": wrong key, or the payload was altered`);
    }
  }
}

/** Whether a payload is sealed (for the codec server and tests: what the server holds). */
export function isSealed(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === SEALED_ENCODING;
}
