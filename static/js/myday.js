// My day: a 409 (changed by someone else) still redraws the row, with its message.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 409 && event.detail.target.closest("[data-myday]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
