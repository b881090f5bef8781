import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Server } from 'node:http';
import path from 'node:path';

/** The plugin's OpenAPI document. */
export const SPEC_FILE = path.resolve(__dirname, '../schema/openapi.yaml');

const METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'patch',
  'head',
  'options',
  'trace',
] as const;

/** The parts of a dereferenced OpenAPI 3.0 document the checks read. */
interface SchemaObject {
  type?: string;
  maxLength?: number;
  pattern?: string;
  [keyword: string]: unknown;
}
interface ResponseObject {
  content?: Record<string, { schema?: SchemaObject }>;
  headers?: Record<string, { schema?: SchemaObject }>;
}
export interface OperationObject {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; schema?: SchemaObject }>;
  responses: Record<string, ResponseObject>;
}
interface Document {
  paths: Record<string, Partial<Record<string, OperationObject>>>;
}

/** An answer as supertest gives it. */
export interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/**
 * The plugin's OpenAPI document, validated as OpenAPI 3.0 and dereferenced,
 * with an ajv validator for each response body schema. `check` tells what
 * is wrong with one real answer; every answer checked is counted, so a test
 * can tell which documented statuses it saw.
 */
export class OpenApiContract {
  /** `METHOD path` → the statuses of the answers checked. */
  readonly seen = new Map<string, Set<number>>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv;

  private constructor(readonly document: Document) {
    // strict: a keyword ajv does not know (a typo, an OpenAPI-only keyword
    // such as `nullable`) fails instead of being ignored.
    this.ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(this.ajv);
  }

  /** Reads, validates (as an OpenAPI document) and dereferences `file`. */
  static async load(file = SPEC_FILE): Promise<OpenApiContract> {
    const document = await SwaggerParser.validate(file);
    return new OpenApiContract(document as unknown as Document);
  }

  /** Every operation, as `METHOD path` (`GET /scans/{repository}`), sorted. */
  operations(): string[] {
    return Object.entries(this.document.paths)
      .flatMap(([specPath, item]) =>
        METHODS.filter(m => item[m]).map(m => `${m.toUpperCase()} ${specPath}`),
      )
      .sort();
  }

  operation(key: string): OperationObject {
    const [method, specPath] = key.split(' ');
    const operation =
      this.document.paths[specPath]?.[method.toLowerCase() as 'get'];
    if (!operation) throw new Error(`The spec has no operation ${key}`);
    return operation;
  }

  /**
   * What is wrong with `answer` as an answer of the operation `key`: its
   * status must be listed (not just `default`), its content type one the
   * spec gives, its body valid against that content's schema, its documented
   * headers present and valid. An empty list when nothing is.
   */
  check(key: string, answer: Answer): string[] {
    const operation = this.operation(key);
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    this.seen.get(key)!.add(answer.status);
    const response = operation.responses[String(answer.status)];
    if (!response) {
      return [`status ${answer.status} is not listed in the spec`];
    }
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        problems.push(`header ${name} is missing`);
      } else if (header.schema) {
        const typed = ['integer', 'number'].includes(header.schema.type ?? '')
          ? Number(value)
          : value;
        const validate = this.validator(
          `${key} ${answer.status} header ${name}`,
          header.schema,
        );
        if (!validate(typed)) {
          problems.push(
            `header ${name}: ${this.ajv.errorsText(validate.errors)}`,
          );
        }
      }
    }
    const mediaType = (answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!response.content) {
      if (answer.text) problems.push('a body where the spec lists none');
      return problems;
    }
    const content = response.content[mediaType];
    if (!content) {
      problems.push(
        `content type ${mediaType || '(none)'} is not one of ${Object.keys(
          response.content,
        ).join(', ')}`,
      );
      return problems;
    }
    if (!content.schema) return problems;
    const body = mediaType.endsWith('json')
      ? JSON.parse(answer.text)
      : answer.text;
    const validate = this.validator(
      `${key} ${answer.status} ${mediaType}`,
      content.schema,
    );
    if (!validate(body)) {
      problems.push(
        ...(validate.errors ?? []).map(
          e =>
            `body${e.instancePath} ${e.message}${
              e.keyword === 'additionalProperties'
                ? ` (${
                    (e.params as { additionalProperty: string })
                      .additionalProperty
                  })`
                : ''
            }`,
        ),
      );
    }
    return problems;
  }

  private validator(id: string, schema: SchemaObject): ValidateFunction {
    let validate = this.validators.get(id);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(id, validate);
    }
    return validate;
  }
}

/** An express layer, as express 4 keeps them in a router's `stack`. */
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  regexp: RegExp & { fast_slash?: boolean };
}

/** Express's `:name` and `:name(regex)` parameters as OpenAPI's `{name}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)(\([^)]*\))?/g, '{$1}');
}

/**
 * The routes the running backend `server` serves under `mountPath`, as
 * `METHOD path` with OpenAPI's `{param}`, read from the express routers
 * really mounted: the plugin's router as the backend's http router mounts
 * it, and in it every feature's router, built-in or from a module. Routes
 * of the framework itself (`/.backstage/...` and `/.well-known/backstage/...`:
 * auth keys, the permission integration) are left out.
 */
export function mountedRoutes(server: Server, mountPath: string): string[] {
  const app = server.listeners('request')[0] as unknown as {
    _router?: { stack: Layer[] };
  };
  if (!app?._router) throw new Error('The server is not an express app');
  const plugin = findMount(app._router.stack, mountPath);
  if (!plugin) throw new Error(`Nothing is mounted at ${mountPath}`);
  return routesOf(plugin)
    .filter(r => !/^[A-Z]+ \/\.(backstage|well-known\/backstage)\//.test(r))
    .sort();
}

function findMount(stack: Layer[], mountPath: string): Layer[] | undefined {
  for (const layer of stack) {
    const inner = layer.handle?.stack;
    if (!inner || layer.route) continue;
    if (!layer.regexp.fast_slash && layer.regexp.test(mountPath)) return inner;
    if (layer.regexp.fast_slash) {
      const found = findMount(inner, mountPath);
      if (found) return found;
    }
  }
  return undefined;
}

function routesOf(stack: Layer[]): string[] {
  return stack.flatMap(layer => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path)
        ? layer.route.path
        : [layer.route.path];
      return Object.keys(layer.route.methods)
        .filter(m => m !== '_all')
        .flatMap(m => paths.map(p => `${m.toUpperCase()} ${toOpenApiPath(p)}`));
    }
    if (!layer.handle?.stack) return [];
    if (!layer.regexp.fast_slash) {
      // Feature routers are mounted at the plugin's root; a router under a
      // path of its own would need its prefix read back from a regexp.
      throw new Error(
        `A router is mounted under a path (${layer.regexp}); mount feature routers at the root`,
      );
    }
    return routesOf(layer.handle.stack);
  });
}
