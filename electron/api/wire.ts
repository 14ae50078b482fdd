/**
 * Messages on the wire between a host transport (WebSocket, Electron MessagePort/IPC) and the
 * core. Requests are validated on arrival; results and events go out as-is.
 */
import { z } from 'zod';
import type { EventName, Events, Result } from './contract';

export const wireRequestSchema = z
  .object({
    type: z.literal('call'),
    id: z.number().int().nonnegative(),
    method: z.string().min(1).max(64),
    args: z.unknown(),
  })
  .strict();
export type WireRequest = z.infer<typeof wireRequestSchema>;

export type WireResult = { type: 'result'; id: number; result: Result<unknown> };
export type WireEvent = { [E in EventName]: { type: 'event'; event: E; payload: Events[E] } }[EventName];
export type WireMessage = WireResult | WireEvent;
