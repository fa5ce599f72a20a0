// Offscreen document: captures the tab (stream id from the service worker),
// runs the live session, and reports its events back to the service worker.
import { LiveSession } from "../lib/live-session";
import type { OffscreenCommand, OffscreenReport } from "../types/messages";

type StartCommand = Extract<OffscreenCommand, { kind: "offscreen-start" }>;

/** Report streamed seconds to the usage tracker this often, not per frame. */
const PROGRESS_REPORT_MS = 5000;

interface Running {
  session: LiveSession;
  context: AudioContext;
  stream: MediaStream;
  progressTimer: ReturnType<typeof setInterval>;
}

let running: Running | null = null;
let unreportedSeconds = 0;

function report(message: OffscreenReport): void {
  chrome.runtime.sendMessage(message).catch(() => undefined);
}

function reportProgress(): void {
  if (unreportedSeconds <= 0) return;
  report({ kind: "capture-progress", seconds: unreportedSeconds });
  unreportedSeconds = 0;
}

async function captureTab(streamId: string): Promise<MediaStream> {
  // Chrome's tab-capture constraints are not in the standard typings.
  const constraints = {
    audio: { mandatory: { chromeMediaSource: "tab", chromeMediaSourceId: streamId } },
    video: false,
  } as unknown as MediaStreamConstraints;
  return navigator.mediaDevices.getUserMedia(constraints);
}

async function start(command: StartCommand): Promise<void> {
  if (running) await stop();
  const stream = await captureTab(command.streamId);
  const context = new AudioContext();
  const { kind: _kind, streamId: _streamId, tabId, ...plan } = command;
  const session = await LiveSession.start({
    ...plan,
    context,
    // Capturing mutes the tab: monitoring through the graph keeps the show audible.
    source: context.createMediaStreamSource(stream),
    monitor: true,
    onEvent: (event, showAtMs) => report({ kind: "session-event", tabId, event, showAtMs }),
    onSyncDelay: (delayMs) => report({ kind: "sync-delay", tabId, delayMs }),
    onFrameSent: (seconds) => (unreportedSeconds += seconds),
    onClosed: (closed) => {
      reportProgress();
      report({ kind: "session-closed", tabId, ...closed });
    },
  });
  running = {
    session,
    context,
    stream,
    progressTimer: setInterval(reportProgress, PROGRESS_REPORT_MS),
  };
}

async function stop(): Promise<void> {
  const current = running;
  if (!current) return;
  running = null;
  clearInterval(current.progressTimer);
  await current.session.stop();
  current.session.silence();
  for (const track of current.stream.getTracks()) track.stop();
  await current.context.close();
  reportProgress();
}

chrome.runtime.onMessage.addListener((message: OffscreenCommand, _sender, sendResponse) => {
  switch (message.kind) {
    case "offscreen-start":
      start(message).then(
        () => sendResponse({ ok: true }),
        (error: unknown) => sendResponse({ ok: false, error: String(error) }),
      );
      return true;
    case "offscreen-stop":
      stop().then(() => sendResponse({ ok: true }));
      return true;
    case "offscreen-duck-level":
      running?.session.setDuckLevel(message.duckLevel);
      return false;
    case "offscreen-synced":
      running?.session.setSynced(message.synced);
      return false;
    default:
      return false;
  }
});
