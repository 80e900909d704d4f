/**
 * The Jupyter wire protocol (messaging spec 5.3): how one message becomes ZeroMQ frames and back.
 *
 *   [routing identities...] "<IDS|MSG>" signature header parent_header metadata content [buffers...]
 *
 * The signature is HMAC-SHA256, keyed with the connection file's key, over the four JSON frames (and any
 * buffers), hex-encoded. A message whose signature does not match is rejected: with a random key per kernel
 * this proves that the message came from the kernel we started.
 * Spec: https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "crypto";

export const PROTOCOL_VERSION = "5.3";
export const DELIMITER = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  header: MessageHeader;
  /** The header of the request this message answers; `{}` for a request. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A fresh 256-bit key, hex-encoded, for one kernel's connection file. */
export function newKey(): string {
  return randomBytes(32).toString("hex");
}

export function sign(key: string, frames: readonly (Buffer | string)[]): string {
  const hmac = createHmac("sha256", key);
  for (const frame of frames) hmac.update(frame);
  return hmac.digest("hex");
}

/** A request message of `msgType` in `session`, ready for {@link encode}. */
export function newMessage<C>(session: string, msgType: string, content: C): Message<C> {
  return {
    header: {
      msg_id: randomUUID(),
      session,
      username: "tsgan-lessons",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  };
}

/** The frames of `msg`, signed with `key`, for a Dealer socket (no routing identities). */
export function encode(key: string, msg: Message<unknown>): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) =>
    Buffer.from(JSON.stringify(part)),
  );
  const signed = [...parts, ...msg.buffers];
  return [DELIMITER, Buffer.from(sign(key, signed)), ...signed];
}

/**
 * The message in `frames`, after checking its signature with `key`.
 * Throws when the delimiter is missing, a part is missing or not JSON, or the signature is wrong.
 */
export function decode(key: string, frames: readonly Buffer[]): Message {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (at < 0) throw new Error("Jupyter message without the <IDS|MSG> delimiter: not a kernel message");
  const signature = frames[at + 1];
  const parts = frames.slice(at + 2);
  if (signature === undefined || parts.length < 4) {
    throw new Error(`Jupyter message with ${parts.length} parts after the signature; expected at least 4`);
  }
  const expected = Buffer.from(sign(key, parts));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new Error("Jupyter message with a wrong HMAC signature: it was not sent by our kernel");
  }
  const [header, parent, metadata, content] = parts.slice(0, 4).map((part) => JSON.parse(part.toString("utf8")));
  return { header, parent_header: parent, metadata, content, buffers: parts.slice(4) };
}
