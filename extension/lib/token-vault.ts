// The JWT at rest: AES-256-GCM under a key derived by PBKDF2 (SHA-256, 100k
// iterations) from a per-install secret, so storage dumps never hold it in clear.
import type { KeyValueStore } from "./kv-store";

export const PBKDF2_ITERATIONS = 100_000;
const RECORD_KEY = "livedub.token";
const SECRET_KEY = "livedub.install-secret";

interface SealedToken {
  v: 1;
  salt: string;
  iv: string;
  ciphertext: string;
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const randomBytes = (n: number): Uint8Array<ArrayBuffer> =>
  crypto.getRandomValues(new Uint8Array(n));

export class TokenVault {
  /**
   * @param store where the sealed token and the install secret live
   * @param context bound into the key (the extension id or page origin), so a
   *   copied storage file does not decrypt under another install
   */
  constructor(
    private readonly store: KeyValueStore,
    private readonly context: string,
  ) {}

  async save(token: string): Promise<void> {
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const key = await this.deriveKey(salt);
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      key,
      new TextEncoder().encode(token),
    );
    const sealed: SealedToken = {
      v: 1,
      salt: toBase64(salt),
      iv: toBase64(iv),
      ciphertext: toBase64(new Uint8Array(ciphertext)),
    };
    await this.store.set(RECORD_KEY, sealed);
  }

  /** The stored token, or null when none is stored or it no longer decrypts. */
  async load(): Promise<string | null> {
    const sealed = await this.store.get<SealedToken>(RECORD_KEY);
    if (!sealed || sealed.v !== 1) return null;
    try {
      const key = await this.deriveKey(fromBase64(sealed.salt));
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(sealed.iv) },
        key,
        fromBase64(sealed.ciphertext),
      );
      return new TextDecoder().decode(plain);
    } catch {
      // Tampered record or a changed install secret: treat as signed out.
      return null;
    }
  }

  clear(): Promise<void> {
    return this.store.remove(RECORD_KEY);
  }

  private async installSecret(): Promise<string> {
    const existing = await this.store.get<string>(SECRET_KEY);
    if (existing) return existing;
    const secret = toBase64(randomBytes(32));
    await this.store.set(SECRET_KEY, secret);
    return secret;
  }

  private async deriveKey(salt: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
    const material = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(`${this.context}:${await this.installSecret()}`),
      "PBKDF2",
      false,
      ["deriveKey"],
    );
    return crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
}
