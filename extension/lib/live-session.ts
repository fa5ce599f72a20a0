// One live dubbing session in a page that owns an AudioContext (the extension's
// offscreen document, the demo page): capture -> frames -> WebSocket, and back:
// dubbed audio to the player (ducking the original), everything else to onEvent.
import type { AudioEvent, ServerEvent } from "../types/api";
import { type CaptureGraph, startCapture } from "./capture-graph";
import { DubPlayer } from "./dub-player";
import type { StreamPlan } from "./stream-plan";
import { Ducker } from "./ducker";
import { type SessionSocket, type SocketClosed, type SocketState, SessionSocket as Socket } from "./session-socket";

export interface LiveSessionOptions extends StreamPlan {
  token: string;
  context: AudioContext;
  source: AudioNode;
  /** Play the source to the speakers (and duck it under the dub). */
  monitor: boolean;
  /** Every event except dubbed audio, which the session plays itself. */
  onEvent: (event: ServerEvent) => void;
  /** Each chunk of dubbed speech, once queued to play (the demo page counts them). */
  onDubChunk?: (event: AudioEvent) => void;
  onStateChange?: (state: SocketState) => void;
  onClosed?: (closed: SocketClosed) => void;
  /** Audio seconds sent so far, reported as frames go out (client-side usage). */
  onFrameSent?: (frameSeconds: number) => void;
}

export class LiveSession {
  private constructor(
    private readonly socket: SessionSocket,
    private readonly capture: CaptureGraph,
    private readonly player: DubPlayer,
    private readonly ducker: Ducker | null,
  ) {}

  static async start(options: LiveSessionOptions): Promise<LiveSession> {
    const { context } = options;
    const frameSeconds = options.frameMs / 1000;
    let ducker: Ducker | null = null;
    const player = new DubPlayer(context, context.destination, (active) => {
      if (active) ducker?.duck();
      else ducker?.restore();
    });
    const socket = new Socket({
      url: options.websocketUrl,
      token: options.token,
      reconnect: options.reconnect,
      onEvent: (event) => {
        if (event.type === "audio") {
          player.enqueue(event);
          options.onDubChunk?.(event);
        } else {
          options.onEvent(event);
        }
      },
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
        if (socket.sendFrame(frame)) options.onFrameSent?.(frameSeconds);
      },
    });
    if (capture.monitorGain) ducker = new Ducker(context, capture.monitorGain, options.duckLevel);
    socket.connect();
    return new LiveSession(socket, capture, player, ducker);
  }

  setDuckLevel(level: number): void {
    this.ducker?.setLevel(level);
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
}
