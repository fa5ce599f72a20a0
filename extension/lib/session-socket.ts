// The session's WebSocket: auth handshake, binary frames out, JSON events in,
// reconnect with backoff resuming after the last event seen and sending the
// last seconds of audio again (frames the dropped socket's server never passed
// on are lost otherwise; the server drops what it already has, by position).
import { CloseCode, type ServerEvent, type WebSocketControlMessage } from "../types/api";
import { backoffDelayMs } from "./backoff";
import type { ReconnectPolicy } from "./build-config";

/** What the socket needs of a WebSocket (the browser's, or a test double). */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

export type SocketState = "connecting" | "authenticating" | "open" | "reconnecting" | "closed";

export interface SocketClosed {
  code: number;
  reason: string;
  /** True when we asked for it (end of session); false when the server or network ended it. */
  requested: boolean;
}

export interface SessionSocketOptions {
  url: string;
  token: string;
  reconnect: ReconnectPolicy;
  onEvent: (event: ServerEvent) => void;
  onStateChange?: (state: SocketState) => void;
  onClosed?: (closed: SocketClosed) => void;
  createSocket?: (url: string) => SocketLike;
}

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.normal,
  CloseCode.authInvalid,
  CloseCode.sessionNotFound,
  CloseCode.sessionEnded,
  CloseCode.quotaExceeded,
  CloseCode.messageInvalid,
  CloseCode.messageTooBig, // the same message would be refused again
]);

/**
 * A reconnect sends this much of the audio sent last again (README, "When an
 * ingress dies"): the server holds a frame for milliseconds before Kafka has it,
 * but it can wait seconds for a quota lease; under the flood guard's 10 s burst.
 */
export const RESEND_MS = 5000;
const BYTES_PER_MS = 32; // PCM s16le, 16 kHz mono

/** Remember this many event ids to drop repeats the server replays after a reconnect. */
const SEEN_EVENT_IDS = 1024;
const OPEN = 1;
/** How long `end()` waits for the server's last results before closing itself. */
const END_GRACE_MS = 5000;

export class SessionSocket {
  private socket: SocketLike | null = null;
  private state: SocketState = "closed";
  private attempts = 0;
  private lastEventId: string | null = null;
  private readonly seen = new Set<string>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private ending = false;
  private framesDropped = 0;
  private whenClosed: (() => void) | null = null;
  /** Bytes of audio sent in the session: where the next frame lies in it. */
  private sentBytes = 0;
  /** The frames sent last (RESEND_MS of them at least), each with where it begins. */
  private readonly recent: { at: number; frame: ArrayBuffer }[] = [];
  /** What the socket being opened sends again once connected. */
  private resend: ArrayBuffer[] = [];

  constructor(private readonly options: SessionSocketOptions) {}

  get currentState(): SocketState {
    return this.state;
  }

  /** Frames that arrived while the socket was not open (live audio is not replayed). */
  get droppedFrames(): number {
    return this.framesDropped;
  }

  connect(): void {
    this.ending = false;
    this.open("connecting");
  }

  /** Sends one PCM frame; drops it (and counts it) while not connected. */
  sendFrame(frame: ArrayBuffer): boolean {
    if (this.state !== "open" || this.socket?.readyState !== OPEN) {
      this.framesDropped++;
      return false;
    }
    this.socket.send(frame);
    this.recent.push({ at: this.sentBytes, frame });
    this.sentBytes += frame.byteLength;
    const keepFrom = this.sentBytes - RESEND_MS * BYTES_PER_MS;
    while (this.recent.length > 0 && this.recent[0]!.at + this.recent[0]!.frame.byteLength <= keepFrom) {
      this.recent.shift();
    }
    return true;
  }

  sendControl(message: WebSocketControlMessage): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  /**
   * Tells the server the stream is over, then waits (up to `graceMs`) for it to
   * deliver the last results and close; resolves once the socket is closed.
   */
  end(graceMs = END_GRACE_MS): Promise<void> {
    this.ending = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      socket?.close(CloseCode.normal, "client ended");
      this.socket = null;
      if (this.state !== "closed") {
        this.finish({ code: CloseCode.normal, reason: "client ended", requested: true });
      }
      return Promise.resolve();
    }
    this.sendControl({ type: "end" });
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.close(CloseCode.normal, "client ended"), graceMs);
      this.whenClosed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private open(state: "connecting" | "reconnecting"): void {
    this.setState(state);
    const socket = (this.options.createSocket ?? ((url) => new WebSocket(url)))(this.options.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      this.setState("authenticating");
      const from = this.resendFrom();
      const auth: WebSocketControlMessage = { type: "auth", token: this.options.token };
      if (this.lastEventId !== null) auth.last_event_id = this.lastEventId;
      auth.audio_position_ms = from / BYTES_PER_MS;
      socket.send(JSON.stringify(auth));
      this.resend = this.framesFrom(from);
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
    // An error is always followed by close, which decides what to do.
    socket.onerror = null;
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let event: ServerEvent;
    try {
      event = JSON.parse(data) as ServerEvent;
    } catch {
      return;
    }
    if (event.type === "status" && event.status === "connected") {
      this.attempts = 0;
      // Before any live frame: nothing else runs between these sends and the state change.
      for (const frame of this.resend) this.socket?.send(frame);
      this.resend = [];
      this.setState("open");
    }
    const id = event.id;
    if (id !== undefined) {
      if (this.seen.has(id)) return;
      this.remember(id);
      this.lastEventId = id;
    }
    this.options.onEvent(event);
    if (id !== undefined) this.sendControl({ type: "ack", event_id: id });
  }

  /**
   * Where a new socket's audio begins: RESEND_MS before the end of what was sent
   * (or the session's start), up to the next whole ms. `recent` holds at least
   * that much, so the frames kept reach back to it.
   */
  private resendFrom(): number {
    const from = Math.max(this.sentBytes - RESEND_MS * BYTES_PER_MS, this.recent[0]?.at ?? this.sentBytes);
    return from + ((BYTES_PER_MS - (from % BYTES_PER_MS)) % BYTES_PER_MS);
  }

  /** The audio sent from byte `from` on, as the frames it was sent in (the first one cut). */
  private framesFrom(from: number): ArrayBuffer[] {
    return this.recent
      .filter(({ at, frame }) => at + frame.byteLength > from)
      .map(({ at, frame }) => (at < from ? frame.slice(from - at) : frame));
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_EVENT_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private closed(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.options.reconnect;
    if (this.ending || FINAL_CLOSE_CODES.has(code) || this.attempts >= maxAttempts) {
      this.finish({ code, reason, requested: this.ending });
      return;
    }
    const delay = backoffDelayMs(this.attempts, initialDelayMs, maxDelayMs);
    this.attempts++;
    this.setState("reconnecting");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open("reconnecting");
    }, delay);
  }

  private finish(closed: SocketClosed): void {
    this.setState("closed");
    this.options.onClosed?.(closed);
    this.whenClosed?.();
    this.whenClosed = null;
  }

  private setState(state: SocketState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onStateChange?.(state);
  }
}
