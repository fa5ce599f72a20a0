// A spec written the way Pydantic v2 renders the backend contract (anyOf-null,
// $ref, integer, enum, defaults), to show the check accepts a faithful spec and
// names each kind of drift. The real check runs against the served spec.
import type { OpenApiDocument, SchemaObject } from "./openapi-shapes";

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: SchemaObject): SchemaObject => ({ anyOf: [schema, { type: "null" }] });
const str: SchemaObject = { type: "string" };
const num: SchemaObject = { type: "number" };
const int: SchemaObject = { type: "integer" };
const bool: SchemaObject = { type: "boolean" };
const json = (schema: SchemaObject) => ({ content: { "application/json": { schema } } });
const object = (properties: Record<string, SchemaObject>, required = Object.keys(properties)): SchemaObject => ({
  type: "object",
  properties,
  required,
});

const quota = object({
  allowed: bool,
  tier: { type: "string", enum: ["free", "premium"] },
  minutes_used: num,
  minutes_remaining: nullable(num),
  daily_limit_minutes: nullable(num),
  resets_at: { type: "string", format: "date-time" } as SchemaObject,
});
const sessionType = object(
  { audio_dubbing: { ...bool, default: true }, live_subtitles: { ...bool, default: false }, subtitle_language: { ...nullable(str), default: null } },
  [],
);
const sessionCommon = {
  session_id: str,
  session_type: ref("DubbingSessionType"),
  source_language: str,
  target_language: str,
  voice_id: nullable(str),
  created_at: str,
};
const errorResponse = json(ref("ErrorBody"));

/** A fresh copy each call: tests mutate it. */
export function fixtureSpec(): OpenApiDocument {
  return structuredClone<OpenApiDocument>({
    paths: {
      "/api/v1/auth/csrf": { get: { responses: { "200": json(ref("CsrfTokenResponse")) } } },
      "/api/v1/dubbing/sessions": {
        post: {
          requestBody: json(ref("CreateSessionRequest")),
          responses: { "201": json(ref("SessionResponse")), "400": errorResponse, "429": errorResponse },
        },
      },
      "/api/v1/dubbing/sessions/{id}": {
        get: { responses: { "200": json(ref("SessionStatusResponse")), "404": errorResponse } },
        delete: { responses: { "200": json(ref("EndSessionResponse")) } },
      },
      "/api/v1/dubbing/quota/check": {
        post: { requestBody: json(ref("QuotaCheckRequest")), responses: { "200": json(ref("QuotaCheckResponse")) } },
      },
      "/api/v1/dubbing/usage/sync": {
        post: { requestBody: json(ref("UsageSyncRequest")), responses: { "200": json(ref("UsageSyncResponse")) } },
      },
      "/api/v1/dubbing/voices": { get: { responses: { "200": json(ref("VoicesResponse")) } } },
      "/api/v1/dubbing/sessions/{session_id}/subtitles": {
        get: {
          parameters: [
            { name: "session_id", in: "path", required: true, schema: str },
            { name: "format", in: "query", required: false, schema: { type: "string", enum: ["vtt", "srt"], default: "vtt" } },
            {
              name: "track",
              in: "query",
              required: false,
              schema: { type: "string", enum: ["translation", "transcript"], default: "translation" },
            },
          ],
          responses: {
            "200": { content: { "text/vtt": { schema: str }, "application/x-subrip": { schema: str } } },
            "404": errorResponse,
          },
        },
      },
      "/api/v1/config/extension": { get: { responses: { "200": json(ref("ExtensionConfig")) } } },
    },
    components: {
      schemas: {
        CsrfTokenResponse: object({ csrf_token: str, expires_at: str }),
        DubbingSessionType: sessionType,
        CreateSessionRequest: object(
          {
            session_type: ref("DubbingSessionType"),
            source_language: { ...str, default: "he" },
            target_language: str,
            voice_id: { ...nullable(str), default: null },
          },
          ["session_type", "target_language"],
        ),
        QuotaCheckResponse: quota,
        SessionResponse: object({
          ...sessionCommon,
          status: { type: "string", const: "active" } as SchemaObject,
          websocket_url: str,
          quota: ref("QuotaCheckResponse"),
        }),
        SessionStatusResponse: object({
          ...sessionCommon,
          status: { type: "string", enum: ["active", "ended"] },
          audio_chunks_processed: int,
          subtitles_generated: int,
          seconds_processed: num,
          last_activity_at: str,
        }),
        EndSessionResponse: object({ session_id: str, status: { const: "ended" }, seconds_processed: num, quota: ref("QuotaCheckResponse") }),
        QuotaCheckRequest: object({ estimated_minutes: { ...nullable(num), default: null } }, []),
        UsageSyncRequest: object({ client_minutes_used: num }),
        UsageSyncResponse: object({
          tier: { type: "string", enum: ["free", "premium"] },
          minutes_used: num,
          minutes_remaining: nullable(num),
          daily_limit_minutes: nullable(num),
          resets_at: str,
          drift_minutes: num,
        }),
        VoiceOption: object({ id: str, name: str, language: str, gender: nullable(str), provider: str }),
        VoicesResponse: object({ voices: { type: "array", items: ref("VoiceOption") } }),
        ExtensionConfig: object({
          free_tier_minutes_per_day: num,
          premium_tier_price_usd: num,
          supported_languages: { type: "array", items: str },
          supported_sites: { type: "array", items: str },
          audio_sample_rate: int,
          max_session_duration_minutes: int,
          frame_ms: int,
          source_languages: { type: "array", items: str },
          language_pairs: { type: "array", items: ref("LanguagePair") },
        }),
        LanguagePair: object({ source: str, target: str, served: bool }),
        ErrorBody: object({ error: object({ code: str, message: str }) }),
      },
    },
  });
}
