// The header's menu button on narrow screens. Without this script the header simply shows
// everything; with it, phones get a "Menu" button (CSP allows only our own scripts).
(function () {
  "use strict";
  function setUp() {
    var header = document.querySelector("header.top");
    var button = header && header.querySelector(".menu-toggle");
    if (!button) return;
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.hidden = false;
    header.classList.add("has-menu");
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
