// One live dubbing session in a page that owns an AudioContext (the extension's
// offscreen document, the demo page): capture -> frames -> WebSocket, and back:
// dubbed audio to the player (ducking the original), everything else to onEvent.
//
// Synced mode holds what the viewer sees and hears of the page back by the
// measured delay (`SyncDelayMeter`): here the monitored original goes through a
// delay line and each segment's dub waits for the moment the held-back picture
// shows its speech starting; the page's picture and the subtitle cues are held
// back where they are shown (content script), to `showAtMs`.
import type { AudioEvent, ServerEvent } from "../types/api";
import { type CaptureGraph, startCapture } from "./capture-graph";
import { CaptureClock } from "./capture-clock";
import { DubPlayer } from "./dub-player";
import type { StreamPlan } from "./stream-plan";
import { Ducker } from "./ducker";
import { type SessionSocket, type SocketClosed, type SocketState, SessionSocket as Socket } from "./session-socket";
import { SyncDelayMeter } from "./sync-delay";

export interface LiveSessionOptions extends StreamPlan {
  token: string;
  context: AudioContext;
  source: AudioNode;
  /** Play the source to the speakers (and duck it under the dub). */
  monitor: boolean;
  /**
   * Every event except dubbed audio, which the session plays itself; in synced mode
   * with the wall-clock time (epoch ms) at which the held-back picture shows its segment.
   */
  onEvent: (event: ServerEvent, showAtMs: number | null) => void;
  /** Each chunk of dubbed speech, once queued to play (the demo page counts them). */
  onDubChunk?: (event: AudioEvent) => void;
  onStateChange?: (state: SocketState) => void;
  onClosed?: (closed: SocketClosed) => void;
  /** Audio seconds sent so far, reported as frames go out (client-side usage). */
  onFrameSent?: (frameSeconds: number) => void;
  /** The delay synced mode holds the page back by: null when off or not measured yet. */
  onSyncDelay?: (delayMs: number | null) => void;
}

export class LiveSession {
  private synced: boolean;

  private constructor(
    private readonly options: LiveSessionOptions,
    private readonly socket: SessionSocket,
    private readonly capture: CaptureGraph,
    private readonly player: DubPlayer,
    private readonly ducker: Ducker | null,
    private readonly clock: CaptureClock,
    private readonly meter: SyncDelayMeter,
  ) {
    this.synced = options.synced;
  }

  static async start(options: LiveSessionOptions): Promise<LiveSession> {
    const { context } = options;
    const clock = new CaptureClock();
    const meter = new SyncDelayMeter();
    let ducker: Ducker | null = null;
    let session: LiveSession | null = null;
    const player = new DubPlayer(context, context.destination, (active) => {
      if (active) ducker?.duck();
      else ducker?.restore();
    });
    const socket = new Socket({
      url: options.websocketUrl,
      token: options.token,
      reconnect: options.reconnect,
      onEvent: (event) => session?.onEvent(event),
      onStateChange: options.onStateChange,
      onClosed: (closed) => {
        // Dub already queued still plays after our own end; not after a failure.
        if (!closed.requested) player.stop();
        options.onClosed?.(closed);
      },
    });
    const capture = await startCapture(context, options.source, {
      outputRate: options.sampleRate,
      frameMs: options.frameMs,
      monitor: options.monitor,
      onFrame: (frame) => {
        if (!socket.sendFrame(frame)) return;
        clock.frameSent(options.frameMs, Date.now());
        options.onFrameSent?.(options.frameMs / 1000);
      },
    });
    if (capture.monitorGain) ducker = new Ducker(context, capture.monitorGain, options.duckLevel);
    session = new LiveSession(options, socket, capture, player, ducker, clock, meter);
    socket.connect();
    return session;
  }

  setDuckLevel(level: number): void {
    this.ducker?.setLevel(level);
  }

  /** Synced mode on or off (from now on: segments already queued keep their timing). */
  setSynced(synced: boolean): void {
    this.synced = synced;
    this.applyDelay();
  }

  /** The delay the page is held back by now (ms), or null. */
  get syncDelayMs(): number | null {
    return this.synced ? this.meter.delayMs : null;
  }

  /**
   * Sends the last partial frame, ends the stream and waits for the server's
   * last results; dub already queued keeps playing until `silence()`.
   */
  async stop(): Promise<void> {
    await this.capture.flush();
    this.capture.disconnect();
    await this.socket.end();
  }

  silence(): void {
    this.player.stop();
  }

  private onEvent(event: ServerEvent): void {
    const now = Date.now();
    const timed = event.type === "audio" || event.type === "subtitle" || event.type === "transcript";
    const spokeAt = timed && event.start_ms !== undefined ? this.clock.wallAt(event.start_ms) : null;
    if (timed && spokeAt !== null) {
      const ready = event.type === "audio" ? event.chunk === 0 : event.type === "subtitle" && event.final;
      if (ready && this.meter.record(event.type === "audio" ? "dub" : "subtitle", event.segment, now - spokeAt)) {
        this.applyDelay();
      }
    }
    const delay = this.syncDelayMs;
    const showAtMs = spokeAt !== null && delay !== null ? spokeAt + delay : null;
    if (event.type === "audio") {
      const context = this.options.context;
      const notBefore = showAtMs === null ? 0 : context.currentTime + (showAtMs - now) / 1000;
      this.player.enqueue(event, notBefore);
      this.options.onDubChunk?.(event);
    } else {
      this.options.onEvent(event, showAtMs);
    }
  }

  private applyDelay(): void {
    const delay = this.syncDelayMs;
    const line = this.capture.monitorDelay;
    if (line) line.delayTime.setValueAtTime((delay ?? 0) / 1000, this.options.context.currentTime);
    this.options.onSyncDelay?.(delay);
  }
}
