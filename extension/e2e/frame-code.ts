// A picture that says which frame it is: the frame's number in binary as a row of
// black and white blocks across its top (tests/extension/show_video.py draws the
// same for the stack e2e's video), and reading that number back off any canvas.

export interface FrameLayout {
  width: number;
  height: number;
  bits: number;
}

/** The show video's layout; the harness draws its own pictures the same way. */
export const SHOW_FRAME: FrameLayout = { width: 320, height: 180, bits: 12 };

/** Draws frame `index`'s code on a canvas of the layout's size. */
export function drawFrameNumber(context: CanvasRenderingContext2D, index: number, layout: FrameLayout): void {
  const block = layout.width / layout.bits;
  context.fillStyle = "#3c3c3c";
  context.fillRect(0, 0, layout.width, layout.height);
  context.fillStyle = "#000";
  context.fillRect(0, 0, layout.width, 40);
  context.fillStyle = "#fff";
  for (let bit = 0; bit < layout.bits; bit++) {
    if ((index >> bit) & 1) context.fillRect(bit * block + 2, 4, block - 4, 32);
  }
}

/** The frame number shown on `canvas` (any size: the code scales with the picture). */
export function readFrameNumber(canvas: HTMLCanvasElement, layout: FrameLayout): number {
  const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
  const block = layout.width / layout.bits;
  let index = 0;
  for (let bit = 0; bit < layout.bits; bit++) {
    const x = Math.floor(((bit + 0.5) * block * canvas.width) / layout.width);
    const y = Math.floor((20 * canvas.height) / layout.height);
    const at = (y * canvas.width + x) * 4;
    if (pixels[at]! + pixels[at + 1]! + pixels[at + 2]! > 3 * 128) index |= 1 << bit;
  }
  return index;
}
