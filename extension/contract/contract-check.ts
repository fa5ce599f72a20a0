// Compares types/api.ts with an OpenAPI document: every endpoint's request and
// response, and the error body. An empty list means they agree.
import { ENDPOINTS, type EndpointTypes } from "./endpoints";
import { type OpenApiDocument, OpenApiShapes } from "./openapi-shapes";
import { shapeDiff } from "./shape";
import type { TypeScriptShapes } from "./typescript-shapes";

export function contractProblems(
  ours: TypeScriptShapes,
  doc: OpenApiDocument,
  endpoints: readonly EndpointTypes[] = ENDPOINTS,
): string[] {
  const spec = new OpenApiShapes(doc);
  const problems: string[] = [];
  for (const endpoint of endpoints) {
    const where = `${endpoint.method} ${endpoint.path}`;
    if (!spec.has(endpoint.method, endpoint.path)) {
      problems.push(`${where}: not in the spec`);
      continue;
    }
    if (typeof endpoint.response === "string") {
      const response = spec.responseSchema(endpoint.method, endpoint.path, endpoint.status);
      if (!response) problems.push(`${where}: no JSON schema for status ${endpoint.status}`);
      else problems.push(...prefixed(`${where} ${endpoint.status}`, shapeDiff(ours.shapeOf(endpoint.response), spec.toShape(response), "response")));
    } else {
      const served = spec.mediaTypes(endpoint.method, endpoint.path, endpoint.status);
      for (const media of endpoint.response.media) {
        if (!served.includes(media)) problems.push(`${where} ${endpoint.status}: no ${media} answer in the spec`);
      }
    }
    if (endpoint.query) {
      const query = spec.queryShape(endpoint.method, endpoint.path);
      problems.push(...prefixed(`${where} query`, shapeDiff(ours.shapeOf(endpoint.query), query, "request")));
    }
    if (endpoint.request) {
      const request = spec.requestSchema(endpoint.method, endpoint.path);
      if (!request) problems.push(`${where}: no JSON request body schema`);
      else problems.push(...prefixed(`${where} body`, shapeDiff(ours.shapeOf(endpoint.request), spec.toShape(request), "request")));
    }
  }
  for (const schema of spec.errorSchemas()) {
    problems.push(...prefixed("error body", shapeDiff(ours.shapeOf("APIError"), spec.toShape(schema), "response")));
  }
  return [...new Set(problems)];
}

function prefixed(where: string, problems: string[]): string[] {
  return problems.map((p) => `${where}: ${p}`);
}
