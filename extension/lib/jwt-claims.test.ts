import { describe, expect, it } from "vitest";
import { isExpired, readClaims } from "./jwt-claims";

const base64url = (value: object) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const jwt = (claims: object) => `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(claims)}.c2ln`;

describe("readClaims", () => {
  it("reads subject, tier and expiry, including non-ASCII subjects", () => {
    expect(readClaims(jwt({ sub: "דנה", tier: "premium", exp: 1_800_000_000 }))).toEqual({
      sub: "דנה",
      tier: "premium",
      expiresAtMs: 1_800_000_000_000,
    });
  });

  it("refuses what is not a JWT with a subject", () => {
    expect(readClaims("not a token")).toBeNull();
    expect(readClaims(`${jwt({ sub: "a" })}.extra`)).toBeNull();
    expect(readClaims(jwt({ tier: "free" }))).toBeNull();
  });

  it("tells an expired token from a live one", () => {
    const claims = readClaims(jwt({ sub: "a", exp: 100 }))!;
    expect(isExpired(claims, 99_999)).toBe(false);
    expect(isExpired(claims, 100_000)).toBe(true);
    expect(isExpired(readClaims(jwt({ sub: "a" }))!, Date.now())).toBe(false);
  });
});
