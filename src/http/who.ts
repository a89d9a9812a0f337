import type { FastifyRequest } from 'fastify';

/** Who made a request, as audit events and sessions record it: the client address and user agent. */
export interface Who {
  ip: string;
  userAgent: string;
}

export function whoOf(request: FastifyRequest): Who {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '') };
}
