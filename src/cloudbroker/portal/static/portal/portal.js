// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  const token = document.getElementById("new-token");
  if (token) {
    token.title = "Click to select";
    token.addEventListener("click", () => window.getSelection().selectAllChildren(token));
  }
  // A select marked data-autosubmit (e.g. a list's page size) submits its form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
  // A box marked data-select-all="CLASS" ticks or clears every box of that class (a list's rows).
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    all.addEventListener("change", () =>
      document.querySelectorAll(`input.${all.dataset.selectAll}`).forEach((box) => { box.checked = all.checked; }));
  });
  // An open row menu closes when one clicks elsewhere or presses Escape.
  const closeMenus = (except) =>
    document.querySelectorAll("details.menu[open]").forEach((d) => d !== except && d.removeAttribute("open"));
  document.addEventListener("click", (event) => closeMenus(event.target.closest("details.menu")));
  document.addEventListener("keydown", (event) => event.key === "Escape" && closeMenus(null));
});
