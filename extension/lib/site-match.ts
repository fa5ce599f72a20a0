// Supported sites are registrable domains ("mako.co.il"): the site and every subdomain.

export function hostMatchesSite(hostname: string, site: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const domain = site.toLowerCase();
  return host === domain || host.endsWith(`.${domain}`);
}

export function isSupportedUrl(url: string | undefined, sites: readonly string[]): boolean {
  if (!url) return false;
  try {
    const { protocol, hostname } = new URL(url);
    return (protocol === "https:" || protocol === "http:") && sites.some((s) => hostMatchesSite(hostname, s));
  } catch {
    return false;
  }
}

/** The manifest match pattern covering a site and its subdomains. */
export function sitePattern(site: string): string {
  return `*://*.${site.toLowerCase()}/*`;
}
