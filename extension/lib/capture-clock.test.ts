import { describe, expect, it } from "vitest";
import { CaptureClock } from "./capture-clock";

describe("CaptureClock", () => {
  it("maps stream audio time to when it was played, frame by frame", () => {
    const clock = new CaptureClock();
    // 100 ms frames handed over as their last sample plays: at 1100, 1200, 1300 (epoch ms).
    for (const wall of [1100, 1200, 1300]) clock.frameSent(100, wall);
    expect(clock.wallAt(0)).toBe(1000);
    expect(clock.wallAt(150)).toBe(1150);
    expect(clock.wallAt(300)).toBe(1300);
    expect(clock.wallAt(301)).toBeNull(); // not sent yet
  });

  it("follows gaps: frames not sent (a dropped socket) do not count, later ones keep their own times", () => {
    const clock = new CaptureClock();
    clock.frameSent(100, 1100);
    clock.frameSent(100, 5100); // the next frame the server got was played four seconds later
    expect(clock.wallAt(50)).toBe(1050);
    expect(clock.wallAt(150)).toBe(5050);
  });

  it("forgets audio older than two minutes", () => {
    const clock = new CaptureClock();
    for (let i = 1; i <= 1300; i++) clock.frameSent(100, i * 100);
    expect(clock.wallAt(1_000)).toBeNull();
    expect(clock.wallAt(129_950)).toBe(129_950);
  });
});
