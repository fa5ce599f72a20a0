import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerEvent } from "../types/api";
import { RESEND_MS, type SocketClosed, SessionSocket, type SocketLike } from "./session-socket";

/** A WebSocket double the test drives from the server's side. */
class FakeSocket implements SocketLike {
  binaryType: BinaryType = "blob";
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: (string | ArrayBuffer)[] = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {}

  send(data: string | ArrayBuffer): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.serverClose(code);
  }

  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }

  serverSend(event: object): void {
    this.onmessage?.({ data: JSON.stringify(event) } as MessageEvent);
  }

  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }

  texts(): unknown[] {
    return this.sent.filter((d): d is string => typeof d === "string").map((d) => JSON.parse(d) as unknown);
  }
}

const policy = { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 3 };
const subtitle = (id: string, segment: number) => ({
  type: "subtitle",
  id,
  session_id: "s1",
  segment,
  data: `line ${segment}`,
  language: "en",
  final: true,
});

function harness() {
  const sockets: FakeSocket[] = [];
  const events: ServerEvent[] = [];
  const closed: SocketClosed[] = [];
  const socket = new SessionSocket({
    url: "ws://api.test/api/v1/dubbing/ws/s1",
    token: "jwt-1",
    reconnect: policy,
    onEvent: (e) => events.push(e),
    onClosed: (c) => closed.push(c),
    createSocket: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake;
    },
  });
  const connectAndAuth = (fake: FakeSocket) => {
    fake.serverOpen();
    fake.serverSend({ type: "status", status: "connected" });
  };
  return { socket, sockets, events, closed, connectAndAuth, latest: () => sockets.at(-1)! };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("SessionSocket", () => {
  it("authenticates first and sends frames only once the server says connected", () => {
    const h = harness();
    h.socket.connect();
    const fake = h.latest();
    expect(fake.binaryType).toBe("arraybuffer");
    fake.serverOpen();
    expect(fake.texts()).toEqual([{ type: "auth", token: "jwt-1", audio_position_ms: 0 }]);
    expect(h.socket.sendFrame(new ArrayBuffer(3200))).toBe(false);
    fake.serverSend({ type: "status", status: "connected" });
    expect(h.socket.sendFrame(new ArrayBuffer(3200))).toBe(true);
    expect(fake.sent.filter((d) => d instanceof ArrayBuffer)).toHaveLength(1);
    expect(h.socket.droppedFrames).toBe(1);
  });

  it("delivers each event once, acknowledges it, and resumes after the last one on reconnect", () => {
    const h = harness();
    h.socket.connect();
    const first = h.latest();
    h.connectAndAuth(first);
    first.serverSend(subtitle("s1:000001:subtitle", 1));
    first.serverSend(subtitle("s1:000002:subtitle", 2));
    expect(first.texts()).toContainEqual({ type: "ack", event_id: "s1:000002:subtitle" });

    first.serverClose(1006);
    expect(h.socket.currentState).toBe("reconnecting");
    vi.advanceTimersByTime(999);
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    const second = h.latest();
    expect(h.sockets).toHaveLength(2);
    second.serverOpen();
    expect(second.texts()[0]).toEqual({
      type: "auth",
      token: "jwt-1",
      last_event_id: "s1:000002:subtitle",
      audio_position_ms: 0,
    });
    second.serverSend({ type: "status", status: "connected" });
    second.serverSend(subtitle("s1:000002:subtitle", 2));
    second.serverSend(subtitle("s1:000003:subtitle", 3));
    expect(h.events.filter((e) => e.type === "subtitle").map((e) => e.segment)).toEqual([1, 2, 3]);
  });

  it("sends the last seconds of audio again after a reconnect, from where they lie, before live audio", () => {
    const h = harness();
    h.socket.connect();
    const first = h.latest();
    h.connectAndAuth(first);
    // 8 s of 100 ms frames, each filled with its number.
    const frame = (n: number) => new Uint8Array(3200).fill(n % 256).buffer;
    for (let n = 0; n < 80; n++) h.socket.sendFrame(frame(n));
    first.serverClose(1006);
    expect(h.socket.sendFrame(frame(999))).toBe(false); // live audio while away is not kept

    vi.advanceTimersByTime(1000);
    const second = h.latest();
    second.serverOpen();
    expect(second.texts()[0]).toEqual({ type: "auth", token: "jwt-1", audio_position_ms: 8000 - RESEND_MS });
    expect(second.sent.filter((d) => d instanceof ArrayBuffer)).toHaveLength(0); // not before connected
    second.serverSend({ type: "status", status: "connected" });
    h.socket.sendFrame(frame(80));
    const audio = second.sent.filter((d): d is ArrayBuffer => d instanceof ArrayBuffer);
    const firstResent = (8000 - RESEND_MS) / 100;
    expect(audio.map((a) => new Uint8Array(a)[0])).toEqual([
      ...Array.from({ length: 80 - firstResent }, (_, i) => firstResent + i),
      80,
    ]);
    expect(audio.every((a) => a.byteLength === 3200)).toBe(true);
  });

  it("resends from the session's start when it has sent less, and from a whole ms within a frame", () => {
    const h = harness();
    h.socket.connect();
    const first = h.latest();
    h.connectAndAuth(first);
    h.socket.sendFrame(new Uint8Array(3200).fill(1).buffer);
    first.serverClose(1006);
    vi.advanceTimersByTime(1000);
    const second = h.latest();
    h.connectAndAuth(second);
    expect(second.texts()[0]).toMatchObject({ audio_position_ms: 0 });
    expect(second.sent.filter((d) => d instanceof ArrayBuffer).map((a) => (a as ArrayBuffer).byteLength)).toEqual([
      3200,
    ]);
    // Frames of 12.5 ms (400 B): RESEND_MS back from the end is not on a frame's edge.
    for (let n = 0; n < 1001; n++) h.socket.sendFrame(new Uint8Array(400).fill(n % 256).buffer);
    second.serverClose(1006);
    vi.advanceTimersByTime(1000);
    const third = h.latest();
    h.connectAndAuth(third);
    const sent = 3200 + 1001 * 400;
    const from = (third.texts()[0] as { audio_position_ms: number }).audio_position_ms;
    expect(from).toBe(Math.ceil((sent - RESEND_MS * 32) / 32));
    const resent = third.sent.filter((d): d is ArrayBuffer => d instanceof ArrayBuffer);
    expect(resent.reduce((total, a) => total + a.byteLength, 0)).toBe(sent - from * 32);
    expect((from * 32 - 3200) % 400).not.toBe(0);
    // The first one resent is the tail of the frame it begins in.
    const begins = (from * 32 - 3200) / 400;
    expect(new Uint8Array(resent[0]!)[0]).toBe(Math.floor(begins) % 256);
    expect(resent[0]!.byteLength).toBe(400 - (from * 32 - 3200 - Math.floor(begins) * 400));
  });

  it("backs off 1 s, 2 s, 4 s between failed attempts and gives up after the configured number", () => {
    const h = harness();
    h.socket.connect();
    h.latest().serverClose(1006);
    for (const delay of [1000, 2000, 4000]) {
      const before = h.sockets.length;
      vi.advanceTimersByTime(delay - 1);
      expect(h.sockets).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(h.sockets).toHaveLength(before + 1);
      h.latest().serverClose(1006);
    }
    expect(h.socket.currentState).toBe("closed");
    expect(h.closed).toEqual([{ code: 1006, reason: "", requested: false }]);
    vi.advanceTimersByTime(60_000);
    expect(h.sockets).toHaveLength(4);
  });

  it.each([4003, 4004, 4005, 4029])("does not reconnect after close code %i", (code) => {
    const h = harness();
    h.socket.connect();
    h.connectAndAuth(h.latest());
    h.latest().serverClose(code, "no");
    vi.advanceTimersByTime(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.closed).toEqual([{ code, reason: "no", requested: false }]);
  });

  it("a successful reconnect resets the backoff", () => {
    const h = harness();
    h.socket.connect();
    h.latest().serverClose(1006);
    vi.advanceTimersByTime(1000);
    h.connectAndAuth(h.latest());
    h.latest().serverClose(4500);
    vi.advanceTimersByTime(1000);
    expect(h.sockets).toHaveLength(3);
  });

  it("ends by sending end and waiting for the server to close", async () => {
    const h = harness();
    h.socket.connect();
    const fake = h.latest();
    h.connectAndAuth(fake);
    const ended = h.socket.end();
    expect(fake.texts().at(-1)).toEqual({ type: "end" });
    fake.serverSend(subtitle("s1:000009:subtitle", 9));
    fake.serverClose(1000);
    await ended;
    expect(h.events.at(-1)).toMatchObject({ segment: 9 });
    expect(h.closed).toEqual([{ code: 1000, reason: "", requested: true }]);
    expect(fake.closedWith).toBeNull();
  });

  it("closes by itself when the server does not after end", async () => {
    const h = harness();
    h.socket.connect();
    const fake = h.latest();
    h.connectAndAuth(fake);
    const ended = h.socket.end(5000);
    vi.advanceTimersByTime(5000);
    await ended;
    expect(fake.closedWith).toBe(1000);
    expect(h.closed[0]?.requested).toBe(true);
  });
});
