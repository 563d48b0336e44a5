// Payments console behaviour (no inline script: the CSP allows only our files).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });
  // Cashier: show only the fields of the chosen tender; change due for cash.
  function syncTender(form) {
    var tender = form.querySelector("input[name=tender]:checked");
    var value = tender ? tender.value : "cash";
    form.querySelectorAll("[data-tender]").forEach(function (el) {
      var show = el.getAttribute("data-tender").split(" ").indexOf(value) >= 0;
      el.hidden = !show;
      el.querySelectorAll("input, select").forEach(function (i) { i.disabled = !show; });
    });
    var amount = parseFloat((form.querySelector("[name=amount]") || {}).value || "0");
    var given = parseFloat((form.querySelector("[name=tendered]") || {}).value || "0");
    var out = form.querySelector("[data-change]");
    if (out) { out.textContent = given > amount ? "Change due: $" + (given - amount).toFixed(2) : ""; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-tender-form]").forEach(function (form) {
      form.addEventListener("change", function () { syncTender(form); });
      form.addEventListener("input", function () { syncTender(form); });
      syncTender(form);
    });
    var scan = document.querySelector("[data-autofocus]");
    if (scan) { scan.focus(); }
  });
})();
