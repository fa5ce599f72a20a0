// A local HTTP server standing in for a TV site's page (loopback only). With
// Chromium's host-resolver rules the page loads under the real site's name, so
// the extension's shipped content-script matches apply unchanged.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface LocalSite {
  port: number;
  /** The host-resolver rule that sends `host` to this server. */
  ruleFor(host: string): string;
  close(): Promise<void>;
}

export async function serveLocalSite(pages: Record<string, string>): Promise<LocalSite> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const body = pages[path];
    response.writeHead(body === undefined ? 404 : 200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    ruleFor: (host) => `MAP ${host} 127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
