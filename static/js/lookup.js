// Type-ahead for record pickers (clients/widgets/counterparty_lookup.html): the text box asks
// the lookup URL for suggestions; choosing one fills the hidden input with the id and shows
// only the name. Typing after a choice clears the id (the server resolves a typed name).
// Keyboard: ArrowDown / ArrowUp move, Enter chooses, Escape closes. Delegated on the document,
// so boxes swapped in by htmx work too; a module runs once however many widgets load it.

const DELAY = 200;
const timers = new WeakMap();
const requests = new WeakMap();

function parts(el) {
  const root = el.closest(".lookup");
  if (!root) return null;
  return {
    root,
    text: root.querySelector("[data-lookup-text]"),
    value: root.querySelector("[data-lookup-value]"),
    menu: root.querySelector("[role=listbox]"),
  };
}

function options(p) {
  return Array.from(p.menu.querySelectorAll("[role=option]"));
}

function open(p, isOpen) {
  p.menu.classList.toggle("show", isOpen);
  p.text.setAttribute("aria-expanded", String(isOpen));
  if (!isOpen) p.text.removeAttribute("aria-activedescendant");
}

function setValue(p, id) {
  if (p.value.value === id) return;
  p.value.value = id;
  // Dependent fields (the order's deals, the interaction's basis) listen for this.
  p.value.dispatchEvent(new Event("change", { bubbles: true }));
}

function highlight(p, index) {
  const items = options(p);
  items.forEach((item, i) => {
    const on = i === index;
    item.classList.toggle("active", on);
    item.setAttribute("aria-selected", String(on));
    if (on) {
      p.text.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    }
  });
}

function choose(p, item) {
  p.text.value = item.dataset.name;
  setValue(p, item.dataset.id);
  open(p, false);
}

async function suggest(p) {
  const query = p.text.value.trim();
  if (query.length < 2) {
    p.menu.replaceChildren();
    open(p, false);
    return;
  }
  const url = new URL(p.root.dataset.lookup, window.location.href);
  url.searchParams.set("q", query);
  url.searchParams.set("listbox", p.menu.id);
  requests.get(p.root)?.abort();
  const controller = new AbortController();
  requests.set(p.root, controller);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) return;
    const html = await response.text();
    if (p.text.value.trim() !== query) return; // typed on meanwhile
    p.menu.innerHTML = html;
    open(p, document.activeElement === p.text);
  } catch (error) {
    if (error.name !== "AbortError") throw error;
  }
}

document.addEventListener("input", (event) => {
  if (!event.target.matches("[data-lookup-text]")) return;
  const p = parts(event.target);
  setValue(p, ""); // the text no longer names the chosen client
  clearTimeout(timers.get(p.root));
  timers.set(p.root, setTimeout(() => suggest(p), DELAY));
});

document.addEventListener("keydown", (event) => {
  if (!event.target.matches("[data-lookup-text]")) return;
  const p = parts(event.target);
  const items = options(p);
  const current = items.findIndex((item) => item.classList.contains("active"));
  const isOpen = p.menu.classList.contains("show");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!items.length) return;
    open(p, true);
    const step = event.key === "ArrowDown" ? 1 : -1;
    highlight(p, current < 0 ? (step > 0 ? 0 : items.length - 1) : (current + step + items.length) % items.length);
  } else if (event.key === "Enter" && isOpen && current >= 0) {
    event.preventDefault(); // choose, do not submit the form
    choose(p, items[current]);
  } else if (event.key === "Escape" && isOpen) {
    event.preventDefault();
    open(p, false);
  }
});

// mousedown, not click: the box must not lose the choice to its blur.
document.addEventListener("mousedown", (event) => {
  const item = event.target.closest(".lookup [role=option]");
  if (!item) return;
  event.preventDefault();
  choose(parts(item), item);
});

document.addEventListener("focusout", (event) => {
  if (!event.target.matches("[data-lookup-text]")) return;
  open(parts(event.target), false);
});
