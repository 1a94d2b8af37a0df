// Render every chart on the page from its embedded Vega-Lite spec (no inline scripts: CSP).
(function () {
  function render(root) {
    root.querySelectorAll("[data-chart-spec]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.chartSpec);
      if (!source || typeof vegaEmbed === "undefined") return;
      el.dataset.rendered = "1";
      var spec = JSON.parse(source.textContent);
      vegaEmbed(el, spec, {
        ast: true, // interpret expressions instead of compiling them: no 'unsafe-eval'
        actions: { export: true, source: false, compiled: false, editor: false },
        renderer: "svg",
      }).then(function () {
        // vega-embed's menu button is an icon only: give it a name screen readers can say.
        var menu = el.querySelector("details > summary");
        if (menu) menu.setAttribute("aria-label", "Chart menu: save the chart as SVG or PNG");
        el.setAttribute("data-chart-ready", "1");
      })
        .catch(function (err) { el.textContent = "The chart could not be drawn: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSwap", function (e) { render(e.target); });
})();
