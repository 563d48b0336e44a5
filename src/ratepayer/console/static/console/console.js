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

  // The account header sticks right under the top bar, so it needs the bar's
  // real height (the navigation can still wrap on a narrow window).
  function measureHeader() {
    var header = document.querySelector(".topbar");
    if (header) document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px");
  }
  measureHeader();
  window.addEventListener("resize", measureHeader);

  // Navigation menus (disclosure buttons): Enter/Space or a click opens,
  // Down/Up move through the links, Escape closes and gives focus back to
  // the button, Tab out or a click elsewhere closes.
  function menuList(menu) { return menu.querySelector(".navmenu-list"); }
  function menuLinks(menu) { return Array.prototype.slice.call(menu.querySelectorAll(".navmenu-list a")); }
  function closeMenu(menu, refocus) {
    var list = menuList(menu);
    if (!list || list.hidden) return;
    list.hidden = true;
    var button = menu.querySelector(".navmenu-button");
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }
  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-navmenu]"), function (menu) {
      if (menu !== except) closeMenu(menu, false);
    });
  }
  function openMenu(menu, focusIndex) {
    closeMenus(menu);
    menuList(menu).hidden = false;
    menu.querySelector(".navmenu-button").setAttribute("aria-expanded", "true");
    var links = menuLinks(menu);
    if (focusIndex !== undefined && links.length) links[(focusIndex + links.length) % links.length].focus();
  }
  function openMenuOf(target) { return target.closest ? target.closest("[data-navmenu]") : null; }

  function menuKey(event) {
    var menu = openMenuOf(event.target);
    if (!menu) return false;
    var isButton = event.target.classList.contains("navmenu-button");
    var links = menuLinks(menu);
    var index = links.indexOf(event.target);
    if (event.key === "Escape") { closeMenu(menu, true); event.preventDefault(); return true; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      if (isButton) openMenu(menu, step > 0 ? 0 : -1);
      else if (index >= 0) links[(index + step + links.length) % links.length].focus();
      return true;
    }
    if (index >= 0 && (event.key === "Home" || event.key === "End")) {
      event.preventDefault();
      links[event.key === "Home" ? 0 : links.length - 1].focus();
      return true;
    }
    return false;
  }

  document.addEventListener("focusout", function (event) {
    var menu = openMenuOf(event.target);
    if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) closeMenu(menu, false);
  });

  var pendingG = 0;

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (menuKey(event)) return;

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
    var menuButton = event.target.closest ? event.target.closest(".navmenu-button") : null;
    if (menuButton) {
      var menu = openMenuOf(menuButton);
      if (menuList(menu).hidden) openMenu(menu); else closeMenu(menu, false);
      return;
    }
    if (!openMenuOf(event.target)) closeMenus(null);
    // Clicking outside the global search closes its dropdown.
    var dropdown = document.getElementById("global-results");
    if (dropdown && !event.target.closest(".global-search")) dropdown.innerHTML = "";
  });
})();
