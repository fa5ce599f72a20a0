import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { contractProblems } from "./contract-check";
import { fixtureSpec } from "./fixture-spec";
import type { OpenApiDocument, SchemaObject } from "./openapi-shapes";
import { TypeScriptShapes } from "./typescript-shapes";

const ours = new TypeScriptShapes(fileURLToPath(new URL("../types/api.ts", import.meta.url)));
const servedSpec = process.env.LIVEDUB_OPENAPI ?? "";

async function loadSpec(source: string): Promise<OpenApiDocument> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`GET ${source} answered ${response.status}`);
    return (await response.json()) as OpenApiDocument;
  }
  return JSON.parse(await readFile(source, "utf8")) as OpenApiDocument;
}

describe("types/api.ts against the backend's OpenAPI spec", () => {
  it.skipIf(servedSpec === "")(
    `matches ${servedSpec || "the served spec (skipped: set LIVEDUB_OPENAPI to a file path or URL of /api/v1/openapi.json)"}`,
    async () => {
      expect(contractProblems(ours, await loadSpec(servedSpec))).toEqual([]);
    },
  );
});

describe("the contract check itself", () => {
  const schemas = (doc: OpenApiDocument): Record<string, SchemaObject> => doc.components!.schemas!;

  it("accepts a spec that says what types/api.ts says", () => {
    expect(contractProblems(ours, fixtureSpec())).toEqual([]);
  });

  it("names a field the server added, one it dropped, and a changed type", () => {
    const doc = fixtureSpec();
    const config = schemas(doc).ExtensionConfig!;
    config.properties!.max_voices = { type: "integer" };
    delete config.properties!.frame_ms;
    config.properties!.supported_sites = { type: "string" };
    expect(contractProblems(ours, doc)).toEqual([
      "GET /api/v1/config/extension 200: $.max_voices: in the API, missing from TypeScript",
      "GET /api/v1/config/extension 200: $.supported_sites: TypeScript has array, the API has string",
      "GET /api/v1/config/extension 200: $.frame_ms: in TypeScript, not in the API",
    ]);
  });

  it("follows $refs into nested objects and catches a field becoming nullable", () => {
    const doc = fixtureSpec();
    schemas(doc).QuotaCheckResponse!.properties!.minutes_used = { anyOf: [{ type: "number" }, { type: "null" }] };
    const problems = contractProblems(ours, doc);
    expect(problems).toContain(
      "POST /api/v1/dubbing/sessions 201: $.quota.minutes_used: the API may send null, the TypeScript type does not allow it",
    );
    expect(problems).toContain(
      "POST /api/v1/dubbing/quota/check 200: $.minutes_used: the API may send null, the TypeScript type does not allow it",
    );
  });

  it("catches a request field the server starts to require and a missing endpoint", () => {
    const doc = fixtureSpec();
    schemas(doc).QuotaCheckRequest!.required = ["estimated_minutes"];
    delete doc.paths!["/api/v1/dubbing/voices"];
    expect(contractProblems(ours, doc)).toEqual([
      "POST /api/v1/dubbing/quota/check body: $.estimated_minutes: the API requires it, TypeScript lets the client leave it out",
      "GET /api/v1/dubbing/voices: not in the spec",
    ]);
  });

  it("checks a file endpoint's media types and its query string", () => {
    const doc = fixtureSpec();
    const download = doc.paths!["/api/v1/dubbing/sessions/{session_id}/subtitles"]!.get!;
    delete download.responses!["200"]!.content!["application/x-subrip"];
    download.parameters!.push({ name: "speaker", in: "query", required: true, schema: { type: "string" } });
    download.parameters = download.parameters!.filter((p) => p.name !== "track");
    expect(contractProblems(ours, doc)).toEqual([
      "GET /api/v1/dubbing/sessions/{session_id}/subtitles 200: no application/x-subrip answer in the spec",
      "GET /api/v1/dubbing/sessions/{session_id}/subtitles query: $.speaker: in the API, missing from TypeScript",
      "GET /api/v1/dubbing/sessions/{session_id}/subtitles query: $.track: in TypeScript, not in the API",
    ]);
  });

  it("checks the error body declared for error statuses", () => {
    const doc = fixtureSpec();
    schemas(doc).ErrorBody = { type: "object", properties: { detail: { type: "string" } }, required: ["detail"] };
    expect(contractProblems(ours, doc)).toEqual([
      "error body: $.detail: in the API, missing from TypeScript",
      "error body: $.error: in TypeScript, not in the API",
    ]);
  });
});
