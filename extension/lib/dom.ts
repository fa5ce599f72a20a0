// Tiny DOM builder for the popup and demo page (no framework needed for two forms).

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** The element with this id, which the page's HTML is known to have. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`page is missing #${id}`);
  return found;
}

/** Shows a one-line status or error in a `role="status"` element; null hides it. */
export function statusLine(target: HTMLElement): (text: string | null, kind?: "info" | "error") => void {
  return (text, kind = "info") => {
    target.hidden = text === null;
    target.textContent = text ?? "";
    target.classList.toggle("error", kind === "error");
  };
}

/** A labelled control, stacked: the form row both pages use. */
export function field(label: string, control: HTMLElement): HTMLLabelElement {
  return element("label", { className: "field" }, element("span", {}, label), control);
}
