// Keyboard shortcuts and search-result navigation for the console.
// Loaded as a file (the content security policy forbids inline scripts).
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function searchBox() {
    return document.getElementById("page-q") || document.getElementById("global-q");
  }

  function resultsFor(input) {
    var box = document.getElementById(input.id === "page-q" ? "page-results" : "global-results");
    return box ? Array.prototype.slice.call(box.querySelectorAll("a.result")) : [];
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }

  // The navigation wraps onto a second line when many apps add pages; the
  // account header sticks right under it, so it needs the header's real height.
  function measureHeader() {
    var header = document.querySelector(".topbar");
    if (header) document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px");
  }
  measureHeader();
  window.addEventListener("resize", measureHeader);

  var pendingG = 0;

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;

    // Arrow keys move between the search box and its results.
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var input = searchBox();
      var active = document.activeElement;
      var links = input ? resultsFor(input) : [];
      if (!links.length) return;
      var index = links.indexOf(active);
      if (active === input || index >= 0) {
        event.preventDefault();
        if (event.key === "ArrowDown") {
          links[Math.min(index + 1, links.length - 1)].focus();
        } else if (index <= 0) {
          input.focus();
        } else {
          links[index - 1].focus();
        }
      }
      return;
    }

    if (event.key === "Escape") {
      var dropdown = document.getElementById("global-results");
      if (dropdown && dropdown.innerHTML.trim()) { dropdown.innerHTML = ""; }
      return;
    }

    if (typing(target)) return;

    if (event.key === "/") {
      var box = searchBox();
      if (box) { event.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (event.key === "?") { event.preventDefault(); openShortcuts(); return; }

    if (pendingG && Date.now() - pendingG < 1200) {
      pendingG = 0;
      var link = document.querySelector('.mainnav a[data-shortcut="' + event.key + '"]');
      if (link) { event.preventDefault(); window.location.assign(link.href); }
      return;
    }
    if (event.key === "g") { pendingG = Date.now(); return; }

    if (event.key === "n") {
      var note = document.getElementById("note-text");
      if (note) { event.preventDefault(); note.focus(); }
      return;
    }
    if (event.key === "j") {
      var adjust = document.getElementById("adjust-link");
      if (adjust) { event.preventDefault(); window.location.assign(adjust.href); }
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-open-shortcuts]") : null;
    if (opener) { openShortcuts(); return; }
    // Clicking outside the global search closes its dropdown.
    var dropdown = document.getElementById("global-results");
    if (dropdown && !event.target.closest(".global-search")) dropdown.innerHTML = "";
  });
})();
