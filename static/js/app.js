// Klientura front-end glue. No inline scripts: the CSP forbids them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches(".select-all")) {
    const form = target.closest("form");
    form.querySelectorAll(".row-select").forEach((box) => { box.checked = target.checked; });
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
