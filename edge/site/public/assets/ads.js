// The image ads: one random unexpired ad of each kind from GET /api/v1/affair/ad/{type}
// (404 when there is none: the slot stays hidden).
import { el, getJson } from "./api.js";

const SLOTS = [
  ["WEB", "ad-web"],
  ["WEB_BAR", "ad-web-bar"],
  ["WEB_CORNER", "ad-web-corner"],
];

export async function showImageAds() {
  await Promise.all(
    SLOTS.map(async ([type, id]) => {
      const slot = document.getElementById(id);
      try {
        const { URL: src } = await getJson(`/api/v1/affair/ad/${type}`);
        const children = [el("span", { class: "ad-label", text: "Advertisement" }), el("img", { src, alt: "Advertisement", "data-ad-type": type })];
        if (type === "WEB_CORNER") {
          children.push(el("button", { type: "button", class: "close", "aria-label": "Close advertisement", text: "×", onclick: () => (slot.hidden = true) }));
        }
        slot.replaceChildren(...children);
        slot.hidden = false;
      } catch {
        slot.hidden = true;
      }
    }),
  );
}
