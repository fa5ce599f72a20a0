import { describe, expect, it } from "vitest";
import { ApiClient, ApiError } from "./api-client";

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Responder = (call: Call) => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const apiError = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `${code} happened` } }, headers);

const quota = {
  allowed: true,
  tier: "free",
  minutes_used: 1,
  minutes_remaining: 4,
  daily_limit_minutes: 5,
  resets_at: "2026-01-02T00:00:00Z",
};

/** A client over a scripted fetch: CSRF requests get fresh tokens, the rest go to `responses` in order. */
function harness(responses: Responder[], token: { value: string | null } = { value: "jwt-1" }) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  let csrfIssued = 0;
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const call: Call = {
      method: init?.method ?? "GET",
      url: String(input),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    if (call.url.endsWith("/api/v1/auth/csrf")) {
      csrfIssued++;
      return json(200, { csrf_token: `csrf-${csrfIssued}`, expires_at: "2099-01-01T00:00:00Z" });
    }
    const next = responses.shift();
    if (!next) throw new Error(`unexpected request ${call.method} ${call.url}`);
    return next(call);
  };
  const client = new ApiClient({
    baseUrl: "http://api.test/",
    getToken: async () => token.value,
    fetch: fetchImpl as typeof fetch,
    sleep: async (ms) => void sleeps.push(ms),
  });
  const apiCalls = () => calls.filter((c) => !c.url.endsWith("/auth/csrf"));
  return { client, calls, apiCalls, sleeps, csrfCount: () => csrfIssued };
}

describe("ApiClient retries", () => {
  it("retries 5xx three times with 1 s, 2 s, 4 s backoff, then gives up", async () => {
    const h = harness([503, 500, 502, 504].map((s) => () => apiError(s, "internal")));
    const error = await h.client.getExtensionConfig().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(504);
    expect(h.apiCalls()).toHaveLength(4);
    expect(h.sleeps).toEqual([1000, 2000, 4000]);
  });

  it("succeeds when a retry does", async () => {
    const config = { supported_languages: ["en", "es"] };
    const h = harness([() => apiError(500, "internal"), () => json(200, config)]);
    await expect(h.client.getExtensionConfig()).resolves.toEqual(config);
    expect(h.sleeps).toEqual([1000]);
  });

  it("retries network errors", async () => {
    const h = harness([
      () => Promise.reject(new TypeError("Failed to fetch")),
      () => json(200, { voices: [] }),
    ]);
    await expect(h.client.getVoices("en")).resolves.toEqual({ voices: [] });
    expect(h.apiCalls().map((c) => c.url)).toEqual([
      "http://api.test/api/v1/dubbing/voices?language=en",
      "http://api.test/api/v1/dubbing/voices?language=en",
    ]);
  });

  it("waits as long as Retry-After says on 429", async () => {
    const h = harness([() => apiError(429, "rate_limited", { "Retry-After": "7" }), () => json(200, quota)]);
    await expect(h.client.checkQuota()).resolves.toEqual(quota);
    expect(h.sleeps).toEqual([7000]);
  });

  it.each([400, 401, 403, 404, 409])("never retries a %i", async (status) => {
    const h = harness([() => apiError(status, "request_invalid")]);
    const error = (await h.client.getSessionStatus("s1").catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(status);
    expect(error.code).toBe("request_invalid");
    expect(error.message).toBe("request_invalid happened");
    expect(h.apiCalls()).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it("sends the bearer token and no CSRF header on reads", async () => {
    const h = harness([() => json(200, { voices: [] })]);
    await h.client.getVoices();
    const [call] = h.calls;
    expect(call?.headers.Authorization).toBe("Bearer jwt-1");
    expect(call?.headers["X-CSRF-Token"]).toBeUndefined();
    expect(h.csrfCount()).toBe(0);
  });
});

describe("ApiClient CSRF", () => {
  it("fetches a CSRF token before the first write and reuses it", async () => {
    const h = harness([() => json(200, quota), () => json(200, { ...quota, drift_minutes: 0 })]);
    await h.client.checkQuota({ estimated_minutes: 2 });
    await h.client.syncUsage({ client_minutes_used: 1.5 });
    expect(h.csrfCount()).toBe(1);
    expect(h.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      "GET /api/v1/auth/csrf",
      "POST /api/v1/dubbing/quota/check",
      "POST /api/v1/dubbing/usage/sync",
    ]);
    for (const call of h.apiCalls()) expect(call.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(h.apiCalls()[1]?.body).toEqual({ client_minutes_used: 1.5 });
  });

  it("refetches the token once on 403 csrf_invalid and repeats the write", async () => {
    const h = harness([() => apiError(403, "csrf_invalid"), () => json(200, { session_id: "s1" })]);
    await expect(h.client.endSession("s1")).resolves.toEqual({ session_id: "s1" });
    expect(h.apiCalls().map((c) => c.headers["X-CSRF-Token"])).toEqual(["csrf-1", "csrf-2"]);
    expect(h.sleeps).toEqual([]);
  });

  it("gives up when the fresh token is refused too", async () => {
    const h = harness([() => apiError(403, "csrf_invalid"), () => apiError(403, "csrf_invalid")]);
    const error = (await h.client.endSession("s1").catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("csrf_invalid");
    expect(h.apiCalls()).toHaveLength(2);
    expect(h.csrfCount()).toBe(2);
  });

  it("gets a new CSRF token after the user signs in as someone else", async () => {
    const token = { value: "jwt-1" as string | null };
    const h = harness([() => json(200, quota), () => json(200, quota)], token);
    await h.client.checkQuota();
    token.value = "jwt-2";
    await h.client.checkQuota();
    expect(h.csrfCount()).toBe(2);
    expect(h.apiCalls()[1]?.headers.Authorization).toBe("Bearer jwt-2");
  });

  it("posts the session request body as JSON", async () => {
    const request = {
      session_type: { audio_dubbing: true, live_subtitles: true, subtitle_language: "es" },
      source_language: "he",
      target_language: "en",
      voice_id: null,
    };
    const h = harness([(call) => json(201, { session_id: "s9", echoed: call.body })]);
    const created = (await h.client.createSession(request)) as unknown as { echoed: unknown };
    expect(created.echoed).toEqual(request);
    expect(h.apiCalls()[0]?.headers["Content-Type"]).toBe("application/json");
  });
});

describe("ApiClient subtitle downloads", () => {
  it("asks for the file with its query and answers its text, type and suggested name", async () => {
    const vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n";
    const { client, apiCalls } = harness([
      () =>
        new Response(vtt, {
          status: 200,
          headers: {
            "Content-Type": "text/vtt; charset=utf-8",
            "Content-Disposition": 'attachment; filename="livedub-abc-translation-es.vtt"',
          },
        }),
    ]);
    const file = await client.downloadSubtitles("s/1", { format: "vtt", track: "translation" });
    expect(file).toEqual({ text: vtt, type: "text/vtt", filename: "livedub-abc-translation-es.vtt" });
    const [call] = apiCalls();
    expect(call!.url).toBe("http://api.test/api/v1/dubbing/sessions/s%2F1/subtitles?format=vtt&track=translation");
    expect(call!.headers.Authorization).toBe("Bearer jwt-1");
  });

  it("turns the server's error into an ApiError with its code", async () => {
    const { client } = harness([() => apiError(403, "forbidden")]);
    await expect(client.downloadSubtitles("s1")).rejects.toMatchObject({ status: 403, code: "forbidden" });
  });
});
