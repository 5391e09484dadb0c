import { CloseCode } from '../../domain/close-codes.ts';

const encoder = new TextEncoder();

/**
 * Why a WebSocket frame must not reach graphql-ws, as the close code and reason to close with, or
 * `undefined`. The graphql-transport-ws protocol is JSON text: binary frames are refused with 4400
 * (graphql-ws's code for a message it cannot accept), frames over `maxBytes` with 1009.
 * On Node, ws enforces the size itself (`maxPayload`, before buffering the frame); on Deno, which has
 * no such option, this check runs on every frame after Deno has received it.
 */
export function frameRefusal(data: unknown, maxBytes: number): { code: number; reason: string } | undefined {
  if (typeof data !== 'string') return { code: CloseCode.BadRequest, reason: 'Binary frames are not accepted' };
  // UTF-8 needs at most 3 bytes per UTF-16 unit: encode only when the length alone cannot decide.
  if (data.length * 3 > maxBytes && (data.length > maxBytes || encoder.encode(data).byteLength > maxBytes)) {
    return { code: CloseCode.MessageTooBig, reason: 'Message too big' };
  }
  return undefined;
}
