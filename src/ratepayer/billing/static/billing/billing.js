// Cycle calendar: clicking a read date fills the "start a bill run" form.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-fill-run]");
  if (!link) return;
  var cell = link.closest("td");
  var cycle = document.getElementById("run-cycle");
  var date = document.getElementById("run-period-end");
  if (cycle && date) {
    cycle.value = cell.dataset.cycle;
    date.value = cell.dataset.read;
    date.focus();
  }
});
