/** A Host header's name as stored and compared: lower case, without port or trailing dot. */
export function normalizeHost(host: string): string {
  const withoutPort = host.startsWith('[') ? host : host.replace(/:\d+$/, '');
  return withoutPort.trim().toLowerCase().replace(/\.$/, '');
}
