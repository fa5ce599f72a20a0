// Which TypeScript type mirrors which request and response of the REST API.
import { SUBTITLE_MEDIA_TYPES } from "../types/api";

export interface EndpointTypes {
  method: "GET" | "POST" | "DELETE";
  path: string;
  request?: string;
  /** The TypeScript type of the query string. */
  query?: string;
  status: string;
  /** The TypeScript type of the JSON answer, or the media types of a text file's. */
  response: string | { media: readonly string[] };
}

export const ENDPOINTS: readonly EndpointTypes[] = [
  { method: "GET", path: "/api/v1/auth/csrf", status: "200", response: "CsrfTokenResponse" },
  { method: "POST", path: "/api/v1/dubbing/sessions", request: "CreateSessionRequest", status: "201", response: "SessionResponse" },
  { method: "GET", path: "/api/v1/dubbing/sessions/{session_id}", status: "200", response: "SessionStatusResponse" },
  { method: "DELETE", path: "/api/v1/dubbing/sessions/{session_id}", status: "200", response: "EndSessionResponse" },
  { method: "POST", path: "/api/v1/dubbing/quota/check", request: "QuotaCheckRequest", status: "200", response: "QuotaCheckResponse" },
  { method: "POST", path: "/api/v1/dubbing/usage/sync", request: "UsageSyncRequest", status: "200", response: "UsageSyncResponse" },
  { method: "GET", path: "/api/v1/dubbing/voices", status: "200", response: "VoicesResponse" },
  {
    method: "GET",
    path: "/api/v1/dubbing/sessions/{session_id}/subtitles",
    query: "SubtitlesQuery",
    status: "200",
    response: { media: Object.values(SUBTITLE_MEDIA_TYPES) },
  },
  { method: "GET", path: "/api/v1/config/extension", status: "200", response: "ExtensionConfig" },
];
