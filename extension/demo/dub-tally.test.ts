import { describe, expect, it } from "vitest";
import type { AudioEvent } from "../types/api";
import { DubTally } from "./dub-tally";

/** A chunk of `samples` silent 16 kHz mono samples. */
function chunk(segment: number, index: number, samples: number, last: boolean): AudioEvent {
  return {
    type: "audio",
    id: `s:${segment}:${index}`,
    session_id: "s",
    segment,
    data: Buffer.alloc(samples * 2).toString("base64"),
    format: { encoding: "pcm_s16le", sample_rate: 16_000, channels: 1 },
    chunk: index,
    last_chunk: last,
  };
}

describe("DubTally", () => {
  it("adds up chunks per segment and reports a segment when its last chunk arrives", () => {
    const tally = new DubTally();
    expect(tally.describe()).toBe("No dubbed speech yet.");
    expect(tally.add(chunk(0, 0, 16_000, false))).toBeNull();
    expect(tally.add(chunk(1, 0, 8_001, true))).toEqual({ chunks: 1, seconds: 8_001 / 16_000 });
    expect(tally.add(chunk(0, 1, 8_000, true))).toEqual({ chunks: 2, seconds: 1.5 });
    expect(tally.describe()).toBe("Dubbed speech: 2 segments, 2.0 s in 3 chunks.");
  });
});
