// Reads OpenAPI 3.0/3.1 schemas (as FastAPI/Pydantic or quart-schema write them) into Shapes.
import type { Property, Shape } from "./shape";

export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  anyOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  allOf?: SchemaObject[];
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
}

interface MediaTypes {
  content?: Record<string, { schema?: SchemaObject }>;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: SchemaObject;
}

export interface OpenApiDocument {
  paths?: Record<
    string,
    Record<string, { requestBody?: MediaTypes; responses?: Record<string, MediaTypes>; parameters?: Parameter[] }>
  >;
  components?: { schemas?: Record<string, SchemaObject> };
}

const KINDS: Record<string, "string" | "number" | "boolean"> = { string: "string", integer: "number", number: "number", boolean: "boolean" };

/** The same path whatever its parameters are called: /sessions/{id} == /sessions/{session_id}. */
const normalisePath = (path: string) => path.replace(/\{[^}]+\}/g, "{}");

export class OpenApiShapes {
  constructor(private readonly doc: OpenApiDocument) {}

  has(method: string, path: string): boolean {
    return this.operation(method, path) !== undefined;
  }

  /** The media types an operation answers `status` with. */
  mediaTypes(method: string, path: string, status: string): string[] {
    return Object.keys(this.operation(method, path)?.responses?.[status]?.content ?? {});
  }

  /** An operation's query parameters as one object shape (what the client sends). */
  queryShape(method: string, path: string): Shape {
    const properties: Record<string, Property> = {};
    for (const parameter of this.operation(method, path)?.parameters ?? []) {
      if (parameter.in !== "query") continue;
      properties[parameter.name] = {
        shape: parameter.schema ? this.toShape(parameter.schema) : { kind: "unknown", nullable: false },
        required: parameter.required === true,
        hasDefault: parameter.schema?.default !== undefined,
      };
    }
    return { kind: "object", properties, nullable: false };
  }

  /** The JSON schema of an operation's request body, or null when the operation is not served. */
  requestSchema(method: string, path: string): SchemaObject | null | undefined {
    const operation = this.operation(method, path);
    return operation === undefined ? undefined : jsonSchema(operation.requestBody) ?? null;
  }

  responseSchema(method: string, path: string, status: string): SchemaObject | null | undefined {
    const operation = this.operation(method, path);
    return operation === undefined ? undefined : jsonSchema(operation.responses?.[status]) ?? null;
  }

  /** Every JSON schema the operation declares for an error status (4xx/5xx/default). */
  errorSchemas(): SchemaObject[] {
    const found: SchemaObject[] = [];
    for (const operations of Object.values(this.doc.paths ?? {})) {
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const schema = jsonSchema(response);
          if (schema && (status === "default" || /^[45]/.test(status))) found.push(schema);
        }
      }
    }
    return found;
  }

  toShape(schema: SchemaObject, seen: ReadonlySet<string> = new Set()): Shape {
    if (schema.$ref) {
      if (seen.has(schema.$ref)) return { kind: "unknown", nullable: false };
      return this.toShape(this.resolve(schema.$ref), new Set([...seen, schema.$ref]));
    }
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants) {
      const nonNull = variants.filter((v) => v.type !== "null");
      const nullable = nonNull.length < variants.length || schema.nullable === true;
      if (nonNull.length !== 1) return { kind: "unknown", nullable };
      return { ...this.toShape(nonNull[0]!, seen), nullable };
    }
    if (schema.allOf?.length === 1) return this.toShape(schema.allOf[0]!, seen);
    const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    const nullable = types.includes("null") || schema.nullable === true;
    const type = types.find((t) => t !== "null") ?? inferType(schema);
    if (type === "array") {
      return { kind: "array", items: schema.items ? this.toShape(schema.items, seen) : { kind: "unknown", nullable: false }, nullable };
    }
    if (type === "object") {
      const required = new Set(schema.required ?? []);
      const properties: Record<string, Property> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        properties[name] = {
          shape: this.toShape(property, seen),
          required: required.has(name),
          hasDefault: property.default !== undefined,
        };
      }
      return { kind: "object", properties, nullable };
    }
    const kind = type === undefined ? undefined : KINDS[type];
    return kind === undefined ? { kind: "unknown", nullable } : { kind, nullable };
  }

  private operation(method: string, path: string) {
    const wanted = normalisePath(path);
    for (const [served, operations] of Object.entries(this.doc.paths ?? {})) {
      if (normalisePath(served) === wanted) return operations[method.toLowerCase()];
    }
    return undefined;
  }

  private resolve(ref: string): SchemaObject {
    const name = ref.replace(/^#\/components\/schemas\//, "");
    const schema = this.doc.components?.schemas?.[name];
    if (!schema) throw new Error(`the spec refers to ${ref} but does not define it`);
    return schema;
  }
}

function jsonSchema(media: MediaTypes | undefined): SchemaObject | undefined {
  return media?.content?.["application/json"]?.schema;
}

function inferType(schema: SchemaObject): string | undefined {
  if (schema.properties) return "object";
  const sample = schema.const ?? schema.enum?.[0];
  return typeof sample === "string" ? "string" : typeof sample === "number" ? "number" : typeof sample === "boolean" ? "boolean" : undefined;
}
