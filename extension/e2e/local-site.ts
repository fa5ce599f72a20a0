// Local HTTP servers on the loopback for the browser tests: a TV site's page
// (with Chromium's host-resolver rules it loads under the real site's name, so
// the shipped content-script matches apply unchanged), or a built page's folder.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

export interface LocalSite {
  port: number;
  url: string;
  /** The host-resolver rule that sends `host` to this server. */
  ruleFor(host: string): string;
  close(): Promise<void>;
}

interface Served {
  type: string;
  body: string | Buffer;
}

type Handler = (path: string) => Promise<Served | null>;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
};

async function serve(handler: Handler): Promise<LocalSite> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    handler(path).then(
      (found) => {
        if (!found) {
          response.writeHead(404, { "Content-Type": "text/plain" });
          response.end("not found");
          return;
        }
        // Byte ranges, as a media element asks for them to seek and loop.
        const body = typeof found.body === "string" ? Buffer.from(found.body) : found.body;
        const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
        if (range) {
          const start = Number(range[1]);
          const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
          response.writeHead(206, {
            "Content-Type": found.type,
            "Content-Range": `bytes ${start}-${end}/${body.length}`,
            "Accept-Ranges": "bytes",
          });
          response.end(body.subarray(start, end + 1));
          return;
        }
        response.writeHead(200, { "Content-Type": found.type, "Accept-Ranges": "bytes" });
        response.end(body);
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    ruleFor: (host) => `MAP ${host} 127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Fixed HTML pages by path. */
export function serveLocalSite(pages: Record<string, string>): Promise<LocalSite> {
  return serve(async (path) => {
    const body = pages[path];
    return body === undefined ? null : { type: TYPES[".html"]!, body };
  });
}

/** Fixed files (any type) by path. */
export function serveFiles(files: Record<string, Served>): Promise<LocalSite> {
  return serve(async (path) => files[path] ?? null);
}

/** The files of a folder under a URL prefix such as "/demo/" (index.html for the prefix itself). */
export function serveDirectory(root: string, prefix = "/"): Promise<LocalSite> {
  return serve(async (path) => {
    if (!path.startsWith(prefix)) return null;
    const inside = path.slice(prefix.length - 1);
    const relative = normalize(inside === "/" ? "/index.html" : inside);
    if (relative.includes("..")) return null;
    try {
      return { type: TYPES[extname(relative)] ?? "application/octet-stream", body: await readFile(join(root, relative)) };
    } catch {
      return null;
    }
  });
}
