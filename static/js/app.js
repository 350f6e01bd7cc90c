// Klientura front-end glue. No inline scripts: the CSP forbids them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches(".select-all")) {
    const form = target.closest("form");
    form.querySelectorAll(".row-select").forEach((box) => { box.checked = target.checked; });
  }
});

// A catalogue product picked on a deal or order line fills the line's name, price and cost (sales/forms.py
// ProductSelect); they stay editable. "Free text" leaves what was typed.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-catalog-pick]");
  if (!select) return;
  const option = select.selectedOptions[0];
  if (!option || option.dataset.name === undefined) return;
  const prefix = select.name.replace(/catalog_product$/, "");
  for (const [field, key] of [["product", "name"], ["price", "price"], ["cost", "cost"]]) {
    const input = select.form.elements.namedItem(prefix + field);
    if (input) {
      input.value = option.dataset[key];
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
});

// Buttons that add a row to an inline formset: clone the empty form, bump TOTAL_FORMS.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-form]");
  if (!button) return;
  event.preventDefault();
  const prefix = button.dataset.addForm;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const target = document.getElementById(`${prefix}-rows`);
  const index = parseInt(total.value, 10);
  const html = template.innerHTML.replace(/__prefix__/g, String(index));
  target.insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
});

// Shared by the drag-and-drop pages (calendar, deals board).
window.Klientura = {
  // The CSRF token travels in the body's hx-headers (no inline scripts under the CSP).
  csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  },

  // Replace the contents of the alert box ``boxId`` with a dismissible message.
  showAlert(boxId, message, kind) {
    const box = document.getElementById(boxId);
    if (!box) return;
    box.replaceChildren();
    if (!message) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-" + kind + " alert-dismissible py-2";
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    alert.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close");
    alert.appendChild(close);
    box.appendChild(alert);
  },
};

// Forms inside an element marked data-swap-errors (the attachments panel) show their 400 answer, the
// form with its errors, in place instead of ignoring it.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400 && event.detail.target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
