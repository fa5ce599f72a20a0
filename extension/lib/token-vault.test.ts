import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryStore } from "../test-support/memory-store";
import { PBKDF2_ITERATIONS, TokenVault } from "./token-vault";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

afterEach(() => vi.restoreAllMocks());

describe("TokenVault", () => {
  it("round-trips a token without storing it in clear", async () => {
    const store = memoryStore();
    const vault = new TokenVault(store, "extension-id");
    await vault.save(TOKEN);
    expect(JSON.stringify(store.dump())).not.toContain(TOKEN);
    expect(JSON.stringify(store.dump())).not.toContain("alice");
    await expect(vault.load()).resolves.toBe(TOKEN);
    await expect(new TokenVault(store, "extension-id").load()).resolves.toBe(TOKEN);
  });

  it("derives an AES-256-GCM key with PBKDF2-SHA-256 at 100k iterations", async () => {
    const derive = vi.spyOn(crypto.subtle, "deriveKey");
    await new TokenVault(memoryStore(), "ctx").save(TOKEN);
    const [params, , keyType] = derive.mock.calls[0]!;
    expect(params).toMatchObject({ name: "PBKDF2", hash: "SHA-256", iterations: PBKDF2_ITERATIONS });
    expect(PBKDF2_ITERATIONS).toBe(100_000);
    expect(keyType).toEqual({ name: "AES-GCM", length: 256 });
  });

  it("uses a fresh salt and IV for every save", async () => {
    const store = memoryStore();
    const vault = new TokenVault(store, "ctx");
    await vault.save(TOKEN);
    const first = store.dump()["livedub.token"];
    await vault.save(TOKEN);
    const second = store.dump()["livedub.token"];
    expect(second).not.toEqual(first);
  });

  it("does not decrypt under another context or after tampering", async () => {
    const store = memoryStore();
    await new TokenVault(store, "extension-a").save(TOKEN);
    await expect(new TokenVault(store, "extension-b").load()).resolves.toBeNull();

    const sealed = (await store.get<{ ciphertext: string }>("livedub.token"))!;
    const bytes = Uint8Array.from(atob(sealed.ciphertext), (c) => c.charCodeAt(0));
    bytes[0]! ^= 1;
    await store.set("livedub.token", { ...sealed, ciphertext: btoa(String.fromCharCode(...bytes)) });
    await expect(new TokenVault(store, "extension-a").load()).resolves.toBeNull();
  });

  it("forgets the token on clear", async () => {
    const vault = new TokenVault(memoryStore(), "ctx");
    await vault.save(TOKEN);
    await vault.clear();
    await expect(vault.load()).resolves.toBeNull();
  });
});
