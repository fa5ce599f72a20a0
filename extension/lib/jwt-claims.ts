// Reads (never verifies: the server does) a JWT's claims to show who is signed
// in and to refuse a token that has already expired.

export interface TokenClaims {
  sub: string;
  tier: string | null;
  expiresAtMs: number | null;
}

export function readClaims(token: string): TokenClaims | null {
  const payload = token.split(".")[1];
  if (!payload || token.split(".").length !== 3) return null;
  try {
    const binary = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as { sub?: unknown; tier?: unknown; exp?: unknown };
    if (typeof claims.sub !== "string") return null;
    return {
      sub: claims.sub,
      tier: typeof claims.tier === "string" ? claims.tier : null,
      expiresAtMs: typeof claims.exp === "number" ? claims.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}

export function isExpired(claims: TokenClaims, nowMs: number): boolean {
  return claims.expiresAtMs !== null && claims.expiresAtMs <= nowMs;
}
