// Typed client for the livedub REST API: bearer JWT, CSRF on writes, retries.
import type {
  APIError,
  CreateSessionRequest,
  CsrfTokenResponse,
  EndSessionResponse,
  ExtensionConfig,
  QuotaCheckRequest,
  QuotaCheckResponse,
  SessionResponse,
  SessionStatusResponse,
  SubtitlesQuery,
  UsageSyncRequest,
  UsageSyncResponse,
  VoicesResponse,
} from "../types/api";
import { backoffDelayMs, parseRetryAfterMs, sleep } from "./backoff";

/** A failed request: the server's stable code, or `network_error` when none answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface RetryPolicy {
  /** Retries after the first try. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** First try plus three retries, waiting 1 s, 2 s, 4 s. */
export const restRetryPolicy: RetryPolicy = { retries: 3, initialDelayMs: 1000, maxDelayMs: 4000 };

/** Refetch the CSRF token this long before the server says it expires. */
const CSRF_REFRESH_MARGIN_MS = 30_000;

export interface ApiClientOptions {
  baseUrl: string;
  /** The current JWT, or null when signed out. */
  getToken: () => Promise<string | null>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  retry?: RetryPolicy;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** A downloaded text file: its contents, media type and the name the server suggests. */
export interface TextFile {
  text: string;
  type: string;
  filename: string;
}

interface Reader<T> {
  accept: string;
  read(response: Response): Promise<T>;
}

const JSON_BODY: Reader<unknown> = {
  accept: "application/json",
  read: async (response) => (response.status === 204 ? undefined : await response.json()),
};

const TEXT_FILE: Reader<TextFile> = {
  accept: "text/vtt, application/x-subrip, text/plain, application/json",
  async read(response) {
    const disposition = response.headers.get("Content-Disposition") ?? "";
    return {
      text: await response.text(),
      type: (response.headers.get("Content-Type") ?? "text/plain").split(";")[0]!.trim(),
      filename: /filename="([^"]+)"/.exec(disposition)?.[1] ?? "subtitles.txt",
    };
  },
};

interface CachedCsrf {
  token: string;
  expiresAtMs: number;
  /** The JWT it was issued for: a new sign-in needs a new CSRF token. */
  jwt: string | null;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly getToken: () => Promise<string | null>;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  private csrf: CachedCsrf | null = null;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.getToken = options.getToken;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? sleep;
    this.now = options.now ?? Date.now;
    this.retry = options.retry ?? restRetryPolicy;
  }

  getCsrfToken(): Promise<CsrfTokenResponse> {
    return this.request("GET", "/api/v1/auth/csrf");
  }

  createSession(body: CreateSessionRequest): Promise<SessionResponse> {
    return this.request("POST", "/api/v1/dubbing/sessions", body);
  }

  getSessionStatus(sessionId: string): Promise<SessionStatusResponse> {
    return this.request("GET", `/api/v1/dubbing/sessions/${encodeURIComponent(sessionId)}`);
  }

  endSession(sessionId: string): Promise<EndSessionResponse> {
    return this.request("DELETE", `/api/v1/dubbing/sessions/${encodeURIComponent(sessionId)}`);
  }

  checkQuota(body: QuotaCheckRequest = {}): Promise<QuotaCheckResponse> {
    return this.request("POST", "/api/v1/dubbing/quota/check", body);
  }

  syncUsage(body: UsageSyncRequest): Promise<UsageSyncResponse> {
    return this.request("POST", "/api/v1/dubbing/usage/sync", body);
  }

  getVoices(language?: string): Promise<VoicesResponse> {
    const query = language ? `?language=${encodeURIComponent(language)}` : "";
    return this.request("GET", `/api/v1/dubbing/voices${query}`);
  }

  getExtensionConfig(): Promise<ExtensionConfig> {
    return this.request("GET", "/api/v1/config/extension");
  }

  /** The session's final subtitles so far (or its original transcript) as a WebVTT or SRT file. */
  downloadSubtitles(sessionId: string, query: SubtitlesQuery = {}): Promise<TextFile> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined));
    const path = `/api/v1/dubbing/sessions/${encodeURIComponent(sessionId)}/subtitles?${params}`;
    return this.request("GET", path, undefined, TEXT_FILE);
  }

  /** Sends with retries: network errors, 5xx and 429 (honouring Retry-After); never other 4xx. */
  private async request<T>(method: Method, path: string, body?: unknown, reader?: Reader<T>): Promise<T> {
    let csrfRefreshed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send<T>(method, path, body, reader);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === "csrf_invalid" && !csrfRefreshed) {
          // A stale or rotated token: fetch a fresh one once, without spending a retry.
          csrfRefreshed = true;
          this.csrf = null;
          attempt--;
          continue;
        }
        if (!error.retryable || attempt >= this.retry.retries) throw error;
        const backoff = backoffDelayMs(attempt, this.retry.initialDelayMs, this.retry.maxDelayMs);
        await this.sleep(error.retryAfterMs ?? backoff);
      }
    }
  }

  private async send<T>(method: Method, path: string, body: unknown, reader?: Reader<T>): Promise<T> {
    const { accept, read } = reader ?? (JSON_BODY as Reader<T>);
    const jwt = await this.getToken();
    const headers: Record<string, string> = { Accept: accept };
    if (jwt) headers.Authorization = `Bearer ${jwt}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = await this.csrfToken(jwt);

    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (cause) {
      throw new ApiError(0, "network_error", `cannot reach ${this.baseUrl}: ${String(cause)}`);
    }
    if (response.ok) return read(response);
    throw await this.errorFrom(response);
  }

  private async csrfToken(jwt: string | null): Promise<string> {
    const cached = this.csrf;
    if (cached && cached.jwt === jwt && cached.expiresAtMs - CSRF_REFRESH_MARGIN_MS > this.now()) {
      return cached.token;
    }
    const fresh = await this.send<CsrfTokenResponse>("GET", "/api/v1/auth/csrf", undefined);
    const expiresAtMs = Date.parse(fresh.expires_at);
    this.csrf = {
      token: fresh.csrf_token,
      expiresAtMs: Number.isNaN(expiresAtMs) ? this.now() : expiresAtMs,
      jwt,
    };
    return fresh.csrf_token;
  }

  private async errorFrom(response: Response): Promise<ApiError> {
    const retryAfterMs = parseRetryAfterMs(response.headers.get("Retry-After"), this.now());
    let code = response.status >= 500 ? "internal" : "request_invalid";
    let message = `HTTP ${response.status}`;
    try {
      const body = (await response.json()) as Partial<APIError>;
      if (body.error?.code) code = body.error.code;
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not our JSON (a proxy's page, an empty body): keep the status-derived code.
    }
    return new ApiError(response.status, code, message, retryAfterMs);
  }
}
